package dev.coemesh.bench;

import dev.coemesh.pool.tokenizer.Tokenizer;
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

/** Time to encode a prompt of {@code words} English-like words, BOS included. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class TokenizerBench {
  @Param({"1000", "10000", "100000"})
  public int words;

  @Param({"sentencepiece", "bpe"})
  public String tokenizer;

  private Tokenizer encoder;
  private String text;

  @Setup
  public void setUp() {
    encoder = BenchTokenizer.of(tokenizer).tokenizer();
    text = EnglishLikeText.words(words, BenchTokenizer.TEXT_SEED);
  }

  @Benchmark
  public int[] encode() {
    return encoder.encode(text, true);
  }
}
