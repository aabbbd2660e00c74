package dev.coemesh.bench;

import dev.coemesh.pool.tokenizer.NaiveMerges;
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
 * {@link TokenizerBench} on the pre-fix quadratic merging ({@link NaiveMerges}, the tests'
 * reference), same texts, up to 10,000 words only: SentencePiece's whole-text loop takes about 12 s
 * per encode of 5,000 words and 50 s of 10,000 (measured on 2 shared cores), so 100,000 would take
 * over an hour. An iteration there is one encode; one warmup encode and two measured ones keep the
 * run short.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class NaiveTokenizerBench {
  @Param({"1000", "5000", "10000"})
  public int words;

  @Param({"sentencepiece", "bpe"})
  public String tokenizer;

  private NaiveMerges.Encoder encoder;
  private String text;

  @Setup
  public void setUp() {
    encoder = BenchTokenizer.of(tokenizer).baseline();
    text = EnglishLikeText.words(words, BenchTokenizer.TEXT_SEED);
  }

  @Benchmark
  public int[] encode() {
    return encoder.encode(text, true);
  }
}
