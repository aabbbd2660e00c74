package dev.coemesh.bench.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs llama.cpp's {@code llama-bench} (built outside this repository) on a GGUF file at one thread
 * and reads its decode and prefill tokens/s from its JSON output, for {@link EngineBench}'s
 * comparison on the same file.
 */
final class LlamaCppBench {
  private static final Pattern RESULT =
      Pattern.compile(
          "\"n_prompt\":\\s*(\\d+),\\s*\"n_gen\":\\s*(\\d+),.*?\"avg_ts\":\\s*([0-9.eE+-]+)",
          Pattern.DOTALL);

  private LlamaCppBench() {}

  /** {@code path}: llama-bench itself, or a llama.cpp build directory holding bin/llama-bench. */
  static Path binary(String path) {
    Path p = Path.of(path);
    if (Files.isDirectory(p)) {
      p = p.resolve("bin").resolve("llama-bench");
    }
    if (!Files.isExecutable(p)) {
      throw new IllegalArgumentException("--llamacpp " + path + ": no llama-bench at " + p);
    }
    return p;
  }

  /** {decode tok/s, prefill tok/s} of {@code gguf} at 1 thread, llama-bench's mean of repeats. */
  static double[] run(String llamacpp, Path gguf, int prefillTokens, int steps, int repeats)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                binary(llamacpp).toString(),
                "-m",
                gguf.toString(),
                "-t",
                "1",
                "-p",
                Integer.toString(prefillTokens),
                "-n",
                Integer.toString(steps),
                "-r",
                Integer.toString(Math.max(1, repeats)),
                "-o",
                "json")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String output = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException("llama-bench failed on " + gguf + ": exit " + p.exitValue());
    }
    return parse(output, gguf.toString());
  }

  /**
   * {decode tok/s, prefill tok/s} from llama-bench's {@code -o json} output: the {@code avg_ts} of
   * its generation test ({@code n_gen > 0}) and of its prompt test ({@code n_prompt > 0}).
   */
  static double[] parse(String json, String what) {
    double decode = -1;
    double prefill = -1;
    Matcher m = RESULT.matcher(json);
    while (m.find()) {
      if (Integer.parseInt(m.group(2)) > 0) {
        decode = Double.parseDouble(m.group(3));
      } else if (Integer.parseInt(m.group(1)) > 0) {
        prefill = Double.parseDouble(m.group(3));
      }
    }
    if (decode < 0 || prefill < 0) {
      throw new IllegalStateException("llama-bench reported no tok/s for " + what + ": " + json);
    }
    return new double[] {decode, prefill};
  }
}
