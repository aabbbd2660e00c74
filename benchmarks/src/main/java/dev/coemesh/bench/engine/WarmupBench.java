package dev.coemesh.bench.engine;

import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.synthetic.SyntheticModel;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code ./mesh bench warmup}: what a person running {@code ./mesh generate} feels, in fresh
 * processes pinned to one core. For each model (stories260K and the stories15M shape) it runs
 * coemesh without and with the launcher's AOT cache, with the cache and the engine's warm-up
 * ({@code MESH_ENGINE_WARMUP}), and llama2.c's {@code run.c} when {@code --llama2c PATH} names a
 * built binary, all on the same llama2.c checkpoint with a one-token prompt (BOS) and greedy
 * sampling, taking turns in the same minutes:
 *
 * <ul>
 *   <li><b>first 240 tokens</b>: (240 − 48) tokens over the wall-time difference of a 240-token and
 *       a 48-token run, so that process start-up cancels (what is left is the speed of tokens 49 to
 *       240, warm-up included);
 *   <li><b>time to first output</b>: from starting the process (the launcher's shell included) to
 *       its first byte on stdout, and for coemesh the engine's own load and TTFT, which sum to the
 *       time from {@code main} to the first token.
 * </ul>
 *
 * Writes {@code target/bench/warmup.json} with the ratios to llama2.c measured in this run.
 */
public final class WarmupBench {
  private static final Set<String> OPTIONS =
      Set.of("llama2c", "tokens", "short", "repeats", "core", "models", "out");

  /** Rounds of {@code MESH_ENGINE_WARMUP} in the warm-up variant. */
  private static final int WARMUP_ROUNDS = 8;

  private static final Pattern GENERATED =
      Pattern.compile("(\\d+) generated tokens, load (\\d+) ms, TTFT ([0-9.]+) ms");

  /** One process: seconds from start to its first stdout byte and to its exit. */
  record Run(double firstOutputS, double wallS, double loadMs, double ttftMs) {}

  private WarmupBench() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv, OPTIONS);
    Path root = Path.of(System.getProperty("mesh.root", "."));
    Path dir = Files.createTempDirectory("mesh-bench-warmup");
    try {
      run(args, root, dir);
    } finally {
      deleteTree(dir);
    }
  }

  private static void run(Args args, Path root, Path dir) throws Exception {
    int tokens = args.integer("tokens", 240);
    int shortTokens = args.integer("short", 48);
    int repeats = args.integer("repeats", 3);
    String core = args.get("core", "1");
    if (shortTokens >= tokens) {
      throw new IllegalArgumentException("--short must be below --tokens");
    }
    String llama2c = args.get("llama2c", null);
    String skipped = null;
    if (llama2c == null) {
      skipped = "no --llama2c PATH given";
    } else if (!Files.isExecutable(Path.of(llama2c))) {
      skipped = "llama2.c binary not found or not executable: " + llama2c;
    }
    if (skipped != null) {
      System.out.println("warmup: llama2.c baseline skipped (" + skipped + ")");
      llama2c = null;
    }
    List<String> pin =
        Files.isExecutable(Path.of("/usr/bin/taskset"))
            ? List.of("/usr/bin/taskset", "-c", core)
            : List.of();
    Path models =
        Path.of(System.getProperty("mesh.models.dir", root.resolve("../shared/models").toString()));
    Map<String, Path[]> checkpoints = new LinkedHashMap<>();
    for (String name : args.get("models", "stories260K,synthetic-15M").split(",")) {
      switch (name) {
        case "stories260K" ->
            checkpoints.put(
                name, new Path[] {models.resolve("stories260K.bin"), models.resolve("tok512.bin")});
        case "synthetic-15M" -> {
          Path bin = dir.resolve("model.bin");
          Path tok = dir.resolve("tokenizer.bin");
          new SyntheticModel(SyntheticModel.STORIES_15M, 1).writeLlama2c(bin, tok);
          checkpoints.put(name, new Path[] {bin, tok});
        }
        default ->
            throw new IllegalArgumentException(
                "unknown model " + name + " (stories260K, synthetic-15M)");
      }
    }
    Path aotDir = root.resolve("target/bench/warmup-aot");
    double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    StringBuilder json = new StringBuilder();
    json.append(
        String.format(
            Locale.ROOT,
            "{\n  \"tokens\": %d, \"short\": %d, \"repeats\": %d, \"pinned_core\": %s,%n",
            tokens,
            shortTokens,
            repeats,
            pin.isEmpty() ? "null" : "\"" + core + "\""));
    json.append("  \"llama2c\": ")
        .append(llama2c == null ? "null" : quote(llama2c))
        .append(", \"llama2c_skipped\": ")
        .append(skipped == null ? "null" : quote(skipped))
        .append(",\n  \"models\": {\n");
    List<String> modelJson = new ArrayList<>();
    System.out.printf(
        "%-14s %-16s %12s %14s %12s %12s%n",
        "model", "engine", "first-240/s", "first out ms", "load ms", "TTFT ms");
    for (var entry : checkpoints.entrySet()) {
      Path bin = entry.getValue()[0];
      Path tok = entry.getValue()[1];
      // the cache is recorded once, untimed, as a person's first run records it
      deleteTree(aotDir);
      runCoemesh(root, pin, bin, tok, shortTokens, "on", aotDir, 0);
      runCoemesh(root, pin, bin, tok, shortTokens, "on", aotDir, WARMUP_ROUNDS);
      Map<String, List<Run[]>> runs = new LinkedHashMap<>();
      for (int r = 0; r < repeats; r++) {
        for (String variant :
            List.of("coemesh_no_cache", "coemesh_cache", "coemesh_cache_warmup", "llama2c")) {
          if (variant.equals("llama2c") && llama2c == null) {
            continue;
          }
          Run[] pair = new Run[2];
          int i = 0;
          for (int n : new int[] {shortTokens, tokens}) {
            pair[i++] =
                switch (variant) {
                  case "coemesh_no_cache" -> runCoemesh(root, pin, bin, tok, n, "off", aotDir, 0);
                  case "coemesh_cache" -> runCoemesh(root, pin, bin, tok, n, "on", aotDir, 0);
                  case "coemesh_cache_warmup" ->
                      runCoemesh(root, pin, bin, tok, n, "on", aotDir, WARMUP_ROUNDS);
                  default -> runLlama2c(llama2c, pin, bin, tok, n);
                };
          }
          runs.computeIfAbsent(variant, k -> new ArrayList<>()).add(pair);
        }
      }
      Map<String, Double> rate = new LinkedHashMap<>();
      List<String> variantJson = new ArrayList<>();
      for (var v : runs.entrySet()) {
        List<Double> rates = new ArrayList<>();
        List<Double> first = new ArrayList<>();
        List<Double> loads = new ArrayList<>();
        List<Double> ttfts = new ArrayList<>();
        for (Run[] pair : v.getValue()) {
          rates.add((tokens - shortTokens) / (pair[1].wallS() - pair[0].wallS()));
          for (Run run : pair) {
            first.add(run.firstOutputS() * 1000);
            loads.add(run.loadMs());
            ttfts.add(run.ttftMs());
          }
        }
        double tokS = EngineBench.median(rates);
        rate.put(v.getKey(), tokS);
        double firstMs = EngineBench.median(first);
        double loadMs = EngineBench.median(loads);
        double ttftMs = EngineBench.median(ttfts);
        System.out.printf(
            Locale.ROOT,
            "%-14s %-16s %12.1f %14.0f %12.0f %12.1f%n",
            entry.getKey(),
            v.getKey(),
            tokS,
            firstMs,
            loadMs,
            ttftMs);
        variantJson.add(
            String.format(
                Locale.ROOT,
                "      \"%s\": {\"first_%d_tok_s\": %.2f, \"first_output_ms\": %.1f, \"load_ms\": %s,"
                    + " \"ttft_ms\": %s, \"main_to_first_token_ms\": %s, \"rates\": %s}",
                v.getKey(),
                tokens,
                tokS,
                firstMs,
                Double.isNaN(loadMs) ? "null" : String.format(Locale.ROOT, "%.1f", loadMs),
                Double.isNaN(ttftMs) ? "null" : String.format(Locale.ROOT, "%.1f", ttftMs),
                Double.isNaN(ttftMs) ? "null" : String.format(Locale.ROOT, "%.1f", loadMs + ttftMs),
                rates.stream().map(x -> String.format(Locale.ROOT, "%.1f", x)).toList()));
      }
      StringBuilder m = new StringBuilder("    " + quote(entry.getKey()) + ": {\n");
      m.append(String.join(",\n", variantJson));
      Double base = rate.get("llama2c");
      if (base != null) {
        m.append(
            String.format(
                Locale.ROOT,
                ",\n      \"vs_llama2c\": {\"no_cache\": %.4f, \"cache\": %.4f,"
                    + " \"cache_warmup\": %.4f}",
                rate.get("coemesh_no_cache") / base,
                rate.get("coemesh_cache") / base,
                rate.get("coemesh_cache_warmup") / base));
        System.out.printf(
            Locale.ROOT,
            "%-14s first-%d ratio to llama2.c: no cache %.3f, cache %.3f, cache + warm-up %.3f%n",
            entry.getKey(),
            tokens,
            rate.get("coemesh_no_cache") / base,
            rate.get("coemesh_cache") / base,
            rate.get("coemesh_cache_warmup") / base);
      }
      modelJson.add(m.append("\n    }").toString());
    }
    deleteTree(aotDir);
    json.append(String.join(",\n", modelJson)).append("\n  },\n");
    json.append(
        String.format(
            Locale.ROOT,
            "  \"load_average\": {\"before\": %.2f, \"after\": %.2f}\n}\n",
            loadBefore,
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    Path out = Path.of(args.get("out", "target/bench/warmup.json"));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, json.toString());
    System.out.println("wrote " + out);
  }

  private static Run runCoemesh(
      Path root, List<String> pin, Path bin, Path tok, int n, String aot, Path aotDir, int warmup)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(pin);
    command.addAll(
        List.of(
            root.resolve("mesh").toString(),
            "generate",
            "--model",
            bin.toString(),
            "--tokenizer",
            tok.toString(),
            "--prompt",
            "",
            "--max-tokens",
            Integer.toString(n),
            "--threads",
            "1",
            "--temperature",
            "0"));
    ProcessBuilder pb = new ProcessBuilder(command);
    // the bench's own launcher already built the module and wrote its classpath
    pb.environment().put("MESH_SKIP_BUILD", "1");
    pb.environment().put("MESH_AOT", aot);
    pb.environment().put("MESH_AOT_DIR", aotDir.toString());
    pb.environment().put("MESH_ENGINE_WARMUP", Integer.toString(warmup));
    Timed run = time(pb);
    Matcher m = GENERATED.matcher(run.stderr());
    if (!m.find() || Integer.parseInt(m.group(1)) != n) {
      throw new IllegalStateException("generate did not produce " + n + " tokens: " + run.stderr());
    }
    return new Run(
        run.firstOutputS(),
        run.wallS(),
        Double.parseDouble(m.group(2)),
        Double.parseDouble(m.group(3)));
  }

  private static Run runLlama2c(String binary, List<String> pin, Path bin, Path tok, int n)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(pin);
    // a one-token prompt (BOS): n positions, as many forward passes as coemesh's n tokens
    command.addAll(
        List.of(
            binary,
            bin.toString(),
            "-z",
            tok.toString(),
            "-t",
            "0",
            "-n",
            Integer.toString(n),
            "-i",
            ""));
    Timed run = time(new ProcessBuilder(command));
    if (!run.stderr().contains("achieved tok/s")) {
      throw new IllegalStateException("llama2.c did not finish: " + run.stderr());
    }
    return new Run(run.firstOutputS(), run.wallS(), Double.NaN, Double.NaN);
  }

  private record Timed(double firstOutputS, double wallS, String stderr) {}

  private static Timed time(ProcessBuilder pb) throws IOException, InterruptedException {
    Path err = Files.createTempFile("mesh-warmup", ".err");
    try {
      pb.redirectError(err.toFile());
      long start = System.nanoTime();
      Process p = pb.start();
      long first = -1;
      try (InputStream out = p.getInputStream()) {
        byte[] buf = new byte[8192];
        int read;
        while ((read = out.read(buf)) >= 0) {
          if (first < 0 && read > 0) {
            first = System.nanoTime();
          }
        }
      }
      int rc = p.waitFor();
      long end = System.nanoTime();
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      if (rc != 0) {
        throw new IllegalStateException(
            String.join(" ", pb.command()) + " exited with " + rc + ": " + stderr);
      }
      return new Timed((Math.max(first, start) - start) / 1e9, (end - start) / 1e9, stderr);
    } finally {
      Files.deleteIfExists(err);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
