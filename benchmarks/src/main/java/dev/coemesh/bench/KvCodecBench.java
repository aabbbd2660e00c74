package dev.coemesh.bench;

import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.kv.codec.CacheGenCodec;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * CacheGen encode and decode of a real prompt's KV: the stories260K engine prefills {@code tokens}
 * tokens of English-like text and its KV is exported as the prefill service hands it off ({@code
 * [layer][k|v][token][kvDim]} floats). Level 0 is lossless, 2 and 3 quantize. The codec has no
 * calibrated tables here, so each blob carries its own (as for a model without calibration). Setup
 * prints the raw and encoded sizes once per point.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class KvCodecBench {
  @Param({"64", "256"})
  public int tokens;

  @Param({"0", "2", "3"})
  public int level;

  private final CacheGenCodec codec = new CacheGenCodec();
  private KvTensor kv;
  private ModelFingerprint fingerprint;
  private byte[] blob;

  @Setup
  public void setUp() {
    Model model = BenchModel.STORIES260K.load();
    fingerprint = model.fingerprint();
    kv = prefilledKv(model, tokens);
    blob = codec.encode(kv, level, fingerprint);
    long raw = 4L * kv.data().length;
    System.out.printf(
        Locale.ROOT,
        "%nKV of %d tokens, level %d: %d bytes raw (f32), %d encoded (%.2f bits/value)%n",
        tokens,
        level,
        raw,
        blob.length,
        8.0 * blob.length / kv.data().length);
  }

  /** The KV of the first {@code n} tokens of English-like text after one prefill step. */
  static KvTensor prefilledKv(Model model, int n) {
    int blocks = (n + 15) / 16;
    try (LlamaEngine engine = new LlamaEngine(model, new EngineOptions(1, 16, blocks))) {
      int sequence = engine.newSequence(BlockHashes.ROOT);
      engine.step(new int[] {sequence}, new int[][] {DecodeStepBench.promptTokens(model, n)});
      return engine.exportKv(sequence);
    }
  }

  @Benchmark
  public byte[] encode() {
    return codec.encode(kv, level, fingerprint);
  }

  @Benchmark
  public KvTensor decode() {
    return codec.decode(blob, fingerprint);
  }
}
