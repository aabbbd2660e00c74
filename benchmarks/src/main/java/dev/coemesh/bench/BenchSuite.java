package dev.coemesh.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The JMH benchmark sets {@link BenchMain} runs, by the name {@code ./mesh bench} gives them. */
enum BenchSuite {
  /** {@code ./mesh bench tokenizer}: encode, and its quadratic baseline. */
  TOKENIZER(TokenizerBench.class, NaiveTokenizerBench.class),
  /**
   * {@code ./mesh bench kernels}: the engine's decode-time matvec and a decode step's attention.
   */
  KERNELS(MatVecBench.class, DecodeStepBench.class),
  /** {@code ./mesh bench kv-codec}: CacheGen encode and decode of a real prompt's KV. */
  KV_CODEC(KvCodecBench.class),
  /** {@code ./mesh bench router-place}: the router's replica decision with prefix affinity. */
  ROUTER_PLACE(RouterPlaceBench.class);

  private final List<Class<?>> benchmarks;

  BenchSuite(Class<?>... benchmarks) {
    this.benchmarks = List.of(benchmarks);
  }

  /** The suite named {@code name} ({@code kv-codec} for {@link #KV_CODEC}), if any. */
  static Optional<BenchSuite> named(String name) {
    return Arrays.stream(values()).filter(s -> s.cliName().equals(name)).findFirst();
  }

  String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  List<Class<?>> benchmarks() {
    return benchmarks;
  }
}
