package dev.coemesh.bench;

import dev.coemesh.core.model.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * {@code ./mesh bench SUITE}: the {@link BenchSuite}'s benchmarks under JMH, the JSON result
 * written to {@code --out FILE} (default {@code target/bench/SUITE.json}). The first argument names
 * the suite ({@code tokenizer} when it names none). Any other arguments go to JMH as on its command
 * line, e.g. {@code -p words=1000} or a benchmark regexp, which then replaces the suite's list.
 * Before measuring the tokenizers it checks that both algorithms give the same ids on the
 * benchmark's text, so the baseline is measured doing the same work.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] argv) throws Exception {
    Optional<BenchSuite> named = argv.length > 0 ? BenchSuite.named(argv[0]) : Optional.empty();
    BenchSuite suite = named.orElse(BenchSuite.TOKENIZER);
    Path out = Path.of("target", "bench", suite.cliName() + ".json");
    List<String> jmhArgs = new ArrayList<>();
    for (int i = named.isPresent() ? 1 : 0; i < argv.length; i++) {
      if (argv[i].equals("--out")) {
        if (i + 1 >= argv.length) {
          throw new IllegalArgumentException("--out needs a file");
        }
        out = Path.of(argv[++i]);
      } else {
        jmhArgs.add(argv[i]);
      }
    }
    Path models = SharedModels.dir().toAbsolutePath().normalize();
    if (suite == BenchSuite.TOKENIZER) {
      checkSameIds();
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    CommandLineOptions jmh = new CommandLineOptions(jmhArgs.toArray(String[]::new));
    ChainedOptionsBuilder options =
        new OptionsBuilder()
            .parent(jmh)
            .resultFormat(ResultFormatType.JSON)
            .result(out.toString())
            // forks find the models wherever this JVM found them, whatever their working folder
            .jvmArgsAppend("-D" + SharedModels.PROPERTY + "=" + models);
    if (jmh.getIncludes().isEmpty()) {
      for (Class<?> benchmark : suite.benchmarks()) {
        options.include("^" + Pattern.quote(benchmark.getName()) + "\\.");
      }
    }
    new Runner(options.build()).run();
    System.out.println("JMH result: " + out.toAbsolutePath().normalize());
  }

  private static void checkSameIds() {
    String text = EnglishLikeText.words(1000, BenchTokenizer.TEXT_SEED);
    for (BenchTokenizer kind : BenchTokenizer.values()) {
      if (!Arrays.equals(kind.tokenizer().encode(text, true), kind.baseline().encode(text, true))) {
        throw new IllegalStateException(
            kind + ": the tokenizer and its quadratic baseline disagree on the benchmark text");
      }
    }
  }
}
