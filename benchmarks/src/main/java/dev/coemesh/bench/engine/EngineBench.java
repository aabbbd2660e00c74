package dev.coemesh.bench.engine;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.kv.KvPrecision;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.synthetic.SyntheticModel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./mesh bench engine}: decode tokens/s at batch 1, 4 and 16 and prefill tokens/s, for the
 * real stories260K model and a stories15M-shape synthetic model, at 1 thread and at all cores. With
 * {@code --llama2c PATH/run} it also runs llama2.c's {@code run.c} (built outside this repository)
 * on the same synthetic checkpoint at 1 thread and reports our ratio to it.
 *
 * <p>Each figure is the median of {@code --repeats} timed runs after a warm-up run; the decode
 * batch sizes take turns within each run. Decode runs positions 0..{@code --steps} for every
 * sequence of the batch, as run.c does for one. The 1-minute load average before and after is
 * printed and recorded: figures from a loaded machine compare only within one run. {@code --kv F16}
 * stores the KV cache in half precision (default: the engine's default).
 *
 * <p>{@code --gguf A.gguf,B.gguf} measures those files instead of the two default models (for
 * instance the stories15M shape written by {@code ./mesh synth --gguf-type Q4_K_M} and {@code
 * Q8_0}); {@code --threads 1} measures at one thread only. With {@code --llamacpp PATH} (a
 * llama.cpp build directory or its {@code llama-bench}) each GGUF is also run through {@code
 * llama-bench -t 1 -p PREFILL -n STEPS} and the JSON gains {@code llamacpp: {NAME: {decode_tok_s,
 * prefill_tok_s}}}, NAME the file name without {@code .gguf}, lower case.
 *
 * <p>Each model is measured in a JVM of its own (this class started again with {@code --model}), as
 * JMH forks per benchmark: code compiled while one model ran is shaped by that model's loop counts
 * and branches, and measured here it slowed the next model's batch-16 decode by up to half.
 */
public final class EngineBench {
  private static final Set<String> OPTIONS =
      Set.of(
          "out",
          "steps",
          "repeats",
          "llama2c",
          "prefill",
          "kv",
          "model",
          "synthetic",
          "gguf",
          "threads",
          "llamacpp");

  private static final int[] BATCHES = {1, 4, 16};

  private EngineBench() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv, OPTIONS);
    if (args.get("model", null) != null) {
      measureChild(args);
      return;
    }
    // the synthetic checkpoint is ~60 MB: never leave it behind in the temp directory
    Path dir = Files.createTempDirectory("mesh-bench-engine");
    try {
      run(args, dir);
    } finally {
      Files.deleteIfExists(dir.resolve("model.bin"));
      Files.deleteIfExists(dir.resolve("tokenizer.bin"));
      Files.deleteIfExists(dir);
    }
  }

  private static void run(Args args, Path dir) throws Exception {
    int steps = args.integer("steps", 128);
    int repeats = args.integer("repeats", 5);
    KvPrecision kv = KvPrecision.valueOf(args.get("kv", EngineOptions.DEFAULT_KV_PRECISION.name()));
    int cores = Runtime.getRuntime().availableProcessors();
    double loadBefore = loadAverage();
    SyntheticModel synthetic = new SyntheticModel(SyntheticModel.STORIES_15M, 1);
    Path synthBin = dir.resolve("model.bin");
    Path synthTok = dir.resolve("tokenizer.bin");
    synthetic.writeLlama2c(synthBin, synthTok);

    StringBuilder json =
        new StringBuilder(
            "{\n  \"machine\": {\"cores\": "
                + cores
                + "},\n  \"steps\": "
                + steps
                + ", \"repeats\": "
                + repeats
                + ", \"kv\": \""
                + kv
                + "\""
                + ",\n  \"models\": {\n");
    System.out.printf(
        "%-14s %7s %12s %12s %12s %14s %10s%n",
        "model", "threads", "b1 tok/s", "b4 tok/s", "b16 tok/s", "prefill tok/s", "b16/b1");
    List<String> modelJson = new ArrayList<>();
    double java1ThreadB1 = 0;
    List<String> ggufs =
        args.get("gguf", null) == null ? List.of() : List.of(args.get("gguf", null).split(","));
    List<String> models =
        ggufs.isEmpty()
            ? List.of("stories260K", "synthetic-15M")
            : ggufs.stream().map(g -> GGUF_PREFIX + Path.of(g).toAbsolutePath()).toList();
    for (String name : models) {
      for (String line : fork(name, dir, childArgs(args))) {
        if (line.startsWith(JSON_PREFIX)) {
          modelJson.add(line.substring(JSON_PREFIX.length()).replace("\\n", "\n"));
        } else if (line.startsWith(B1_PREFIX)) {
          java1ThreadB1 = Double.parseDouble(line.substring(B1_PREFIX.length()));
        } else {
          System.out.println(line);
        }
      }
    }
    json.append(String.join(",\n", modelJson)).append("\n  }");
    double loadAfter = loadAverage();
    // other processes on the machine skew every figure: print what they were doing
    System.out.printf(
        Locale.ROOT,
        "load average (1 min) on %d cores: %.2f before, %.2f after%n",
        cores,
        loadBefore,
        loadAfter);
    json.append(
        String.format(
            Locale.ROOT,
            ",\n  \"load_average_1min\": {\"before\": %.2f, \"after\": %.2f}",
            loadBefore,
            loadAfter));

    String llama2c = args.get("llama2c", null);
    if (llama2c != null) {
      List<Double> runs = new ArrayList<>();
      for (int i = 0; i < repeats; i++) {
        runs.add(runLlama2c(llama2c, synthBin, synthTok, steps));
      }
      double c = median(runs);
      System.out.printf(
          Locale.ROOT,
          "llama2.c run.c (1 thread, synthetic-15M, %d steps): %.1f tok/s; coemesh b1 1 thread: %.1f tok/s; ratio %.3f%n",
          steps,
          c,
          java1ThreadB1,
          java1ThreadB1 / c);
      json.append(
          String.format(
              Locale.ROOT,
              ",\n  \"vs_llama2c\": {\"llama2c_tok_s\": %.2f, \"coemesh_tok_s\": %.2f, \"ratio\": %.4f, \"threads\": 1, \"model\": \"synthetic-15M\"}",
              c,
              java1ThreadB1,
              java1ThreadB1 / c));
    }
    String llamacpp = args.get("llamacpp", null);
    if (llamacpp != null && !ggufs.isEmpty()) {
      json.append(",\n  \"llamacpp\": {\n");
      List<String> entries = new ArrayList<>();
      int prefillTokens = args.integer("prefill", 128);
      for (String gguf : ggufs) {
        double[] rates = LlamaCppBench.run(llamacpp, Path.of(gguf), prefillTokens, steps, repeats);
        String key = ggufName(gguf);
        System.out.printf(
            Locale.ROOT,
            "llama.cpp llama-bench (1 thread, %s): decode %.1f tok/s, prefill %.1f tok/s%n",
            key,
            rates[0],
            rates[1]);
        entries.add(
            String.format(
                Locale.ROOT,
                "    \"%s\": {\"decode_tok_s\": %.2f, \"prefill_tok_s\": %.2f}",
                key,
                rates[0],
                rates[1]));
      }
      json.append(String.join(",\n", entries)).append("\n  }");
    }
    json.append("\n}\n");
    Path out = Path.of(args.get("out", "target/bench/engine.json"));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, json);
    System.out.println("wrote " + out);
  }

  private static final String JSON_PREFIX = "@json ";
  private static final String GGUF_PREFIX = "gguf:";

  /** A GGUF's key in the results: its file name without {@code .gguf}, lower case. */
  private static String ggufName(String path) {
    return Path.of(path)
        .getFileName()
        .toString()
        .replaceFirst("(?i)\\.gguf$", "")
        .toLowerCase(Locale.ROOT);
  }

  private static final String B1_PREFIX = "@b1 ";

  /**
   * A child JVM: measures the model named by {@code --model} ({@code --synthetic DIR} holds the
   * synthetic checkpoint).
   */
  private static void measureChild(Args args) throws IOException {
    String name = args.get("model", null);
    Model model;
    if (name.startsWith(GGUF_PREFIX)) {
      model = ModelLoader.load(Path.of(name.substring(GGUF_PREFIX.length())), null);
      name = ggufName(name.substring(GGUF_PREFIX.length()));
    } else if (name.equals("stories260K")) {
      model =
          ModelLoader.load(
              SharedModels.file(SharedModels.STORIES_260K_BIN),
              SharedModels.file(SharedModels.STORIES_260K_TOKENIZER));
    } else {
      Path dir = Path.of(args.get("synthetic", "."));
      model = ModelLoader.load(dir.resolve("model.bin"), dir.resolve("tokenizer.bin"));
    }
    measureModel(
        name,
        model,
        Runtime.getRuntime().availableProcessors(),
        KvPrecision.valueOf(args.get("kv", EngineOptions.DEFAULT_KV_PRECISION.name())),
        args.integer("steps", 128),
        args.integer("repeats", 5),
        args.integer("prefill", 128),
        args.integer("threads", 0));
  }

  /** One model at 1 thread and at all cores: the table lines, then its JSON (for the parent). */
  private static void measureModel(
      String name,
      Model model,
      int cores,
      KvPrecision kv,
      int steps,
      int repeats,
      int prefillTokens,
      int onlyThreads) {
    int decodeSteps = Math.min(steps, model.config().contextLength() - 2);
    List<String> threadJson = new ArrayList<>();
    int[] threadCounts =
        onlyThreads > 0
            ? new int[] {onlyThreads}
            : cores > 1 ? new int[] {1, cores} : new int[] {1};
    for (int threads : threadCounts) {
      // Exercise every kernel path first: a path first met mid-measurement deoptimizes the
      // compiled matmul and the run continues in the interpreter/C1 until C2 catches up.
      for (int round = 0; round < 3; round++) {
        decode(model, threads, kv, BATCHES, Math.min(32, decodeSteps), 1);
        prefill(model, threads, kv, Math.min(prefillTokens, model.config().contextLength() - 1), 1);
      }
      double[] rates = decode(model, threads, kv, BATCHES, decodeSteps, repeats);
      double b1 = rates[0];
      double b4 = rates[1];
      double b16 = rates[2];
      double prefill =
          prefill(
              model,
              threads,
              kv,
              Math.min(prefillTokens, model.config().contextLength() - 1),
              repeats);
      if (threads == 1 && name.equals("synthetic-15M")) {
        System.out.println(B1_PREFIX + b1);
      }
      System.out.printf(
          Locale.ROOT,
          "%-14s %7d %12.1f %12.1f %12.1f %14.1f %9.2fx%n",
          name,
          threads,
          b1,
          b4,
          b16,
          prefill,
          b16 / b1);
      threadJson.add(
          String.format(
              Locale.ROOT,
              "      \"%d\": {\"decode_tok_s\": {\"b1\": %.2f, \"b4\": %.2f, \"b16\": %.2f}, \"prefill_tok_s\": %.2f, \"batch16_speedup\": %.3f}",
              threads,
              b1,
              b4,
              b16,
              prefill,
              b16 / b1));
    }
    String json = "    \"" + name + "\": {\n" + String.join(",\n", threadJson) + "\n    }";
    System.out.println(JSON_PREFIX + json.replace("\n", "\\n"));
  }

  /** Runs this bench for one model in a new JVM with this JVM's options; returns its output. */
  private static List<String> fork(String model, Path syntheticDir, List<String> args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(EngineBench.class.getName());
    command.addAll(args);
    command.addAll(List.of("--model", model, "--synthetic", syntheticDir.toString()));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<String> lines = new ArrayList<>();
    try (var reader = p.inputReader()) {
      for (String line; (line = reader.readLine()) != null; ) {
        lines.add(line);
      }
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException("bench of " + model + " failed: exit " + p.exitValue());
    }
    return lines;
  }

  /** The options to pass on to a child (everything but the parent-only ones). */
  private static List<String> childArgs(Args args) {
    List<String> out = new ArrayList<>();
    for (String name : List.of("steps", "repeats", "prefill", "kv", "threads")) {
      String value = args.get(name, null);
      if (value != null) {
        out.add("--" + name);
        out.add(value);
      }
    }
    return out;
  }

  /**
   * Aggregate decode tokens/s of each batch size's sequences over positions 0..steps (median of
   * {@code repeats}). The batch sizes take turns within each repetition, so that a burst of load
   * from other processes hits all of them alike and their ratio stays meaningful.
   */
  static double[] decode(
      Model model, int threads, KvPrecision kv, int[] batches, int steps, int repeats) {
    int blocksPerSeq = (steps + 2 + 15) / 16;
    int largest = Arrays.stream(batches).max().orElseThrow();
    List<List<Double>> rates = new ArrayList<>();
    for (int i = 0; i < batches.length; i++) {
      rates.add(new ArrayList<>());
    }
    try (LlamaEngine engine =
        new LlamaEngine(
            model,
            EngineOptions.defaults()
                .withThreads(threads)
                .withKvBlocks(largest * blocksPerSeq + 1)
                .withKvPrecision(kv))) {
      for (int r = 0; r <= repeats; r++) {
        for (int i = 0; i < batches.length; i++) {
          double rate = decodeOnce(engine, model, batches[i], steps);
          if (r > 0) {
            rates.get(i).add(rate); // round 0 warms the JIT up
          }
        }
      }
    }
    double[] medians = new double[batches.length];
    for (int i = 0; i < batches.length; i++) {
      medians[i] = repeats > 0 ? median(rates.get(i)) : 0;
    }
    return medians;
  }

  private static double decodeOnce(LlamaEngine engine, Model model, int batch, int steps) {
    int[] ids = new int[batch];
    int[][] tokens = new int[batch][1];
    for (int b = 0; b < batch; b++) {
      ids[b] = engine.newSequence();
      tokens[b][0] = model.tokenizer().bosId();
    }
    long start = System.nanoTime();
    for (int s = 0; s < steps; s++) {
      float[][] logits = engine.stepReused(ids, tokens); // as the scheduler steps
      for (int b = 0; b < batch; b++) {
        tokens[b][0] = dev.coemesh.pool.sampler.Sampler.argmax(logits[b]);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    for (int id : ids) {
      engine.free(id);
    }
    return batch * steps / seconds;
  }

  /** Prompt tokens/s of one prefill of {@code tokens} positions. */
  static double prefill(Model model, int threads, KvPrecision kv, int tokens, int repeats) {
    int[] prompt = new int[tokens];
    for (int i = 0; i < tokens; i++) {
      prompt[i] = 3 + (i * 37) % (model.config().vocabSize() - 3);
    }
    try (LlamaEngine engine =
        new LlamaEngine(
            model,
            EngineOptions.defaults()
                .withThreads(threads)
                .withKvBlocks((tokens + 15) / 16 + 1)
                .withKvPrecision(kv))) {
      List<Double> rates = new ArrayList<>();
      for (int r = 0; r <= repeats + 1; r++) {
        int id = engine.newSequence();
        long start = System.nanoTime();
        engine.step(new int[] {id}, new int[][] {prompt});
        double seconds = (System.nanoTime() - start) / 1e9;
        engine.free(id);
        if (r > 1) {
          rates.add(tokens / seconds);
        }
      }
      return median(rates);
    }
  }

  private static double runLlama2c(String binary, Path model, Path tokenizer, int steps)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                binary,
                model.toString(),
                "-z",
                tokenizer.toString(),
                "-t",
                "0",
                "-n",
                Integer.toString(steps + 1),
                "-i",
                "")
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    Matcher m = Pattern.compile("achieved tok/s: ([0-9.]+)").matcher(output);
    if (!m.find()) {
      throw new IllegalStateException(
          "llama2.c did not report tok/s: " + output.lines().reduce((a, b) -> b).orElse(""));
    }
    return Double.parseDouble(m.group(1));
  }

  /** The system's 1-minute load average, or -1 where the platform does not report it. */
  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  public static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
