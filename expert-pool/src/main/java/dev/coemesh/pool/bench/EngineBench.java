package dev.coemesh.pool.bench;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./mesh bench engine}: decode tokens/s at batch 1, 4 and 16 and prefill tokens/s, for the
 * real stories260K model and a stories15M-shape synthetic model, at 1 thread and at all cores. With
 * {@code --llama2c PATH/run} it also runs llama2.c's {@code run.c} (built outside this repository)
 * on the same synthetic checkpoint at 1 thread and reports our ratio to it.
 *
 * <p>Each figure is the median of {@code --repeats} timed runs after a warm-up run. Decode runs
 * positions 0..{@code --steps} for every sequence of the batch, as run.c does for one.
 */
public final class EngineBench {
  private static final Set<String> OPTIONS =
      Set.of("out", "steps", "repeats", "llama2c", "prefill");

  private EngineBench() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv, OPTIONS);
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
    int prefillTokens = args.integer("prefill", 128);
    int cores = Runtime.getRuntime().availableProcessors();
    SyntheticModel synthetic = new SyntheticModel(SyntheticModel.STORIES_15M, 1);
    Path synthBin = dir.resolve("model.bin");
    Path synthTok = dir.resolve("tokenizer.bin");
    synthetic.writeLlama2c(synthBin, synthTok);

    Map<String, Model> models = new LinkedHashMap<>();
    models.put(
        "stories260K",
        ModelLoader.load(
            SharedModels.file(SharedModels.STORIES_260K_BIN),
            SharedModels.file(SharedModels.STORIES_260K_TOKENIZER)));
    models.put("synthetic-15M", ModelLoader.load(synthBin, synthTok));

    StringBuilder json =
        new StringBuilder(
            "{\n  \"machine\": {\"cores\": "
                + cores
                + "},\n  \"steps\": "
                + steps
                + ", \"repeats\": "
                + repeats
                + ",\n  \"models\": {\n");
    System.out.printf(
        "%-14s %7s %12s %12s %12s %14s %10s%n",
        "model", "threads", "b1 tok/s", "b4 tok/s", "b16 tok/s", "prefill tok/s", "b16/b1");
    double java1ThreadB1 = 0;
    List<String> modelJson = new ArrayList<>();
    for (Map.Entry<String, Model> entry : models.entrySet()) {
      Model model = entry.getValue();
      int decodeSteps = Math.min(steps, model.config().contextLength() - 2);
      List<String> threadJson = new ArrayList<>();
      for (int threads : cores > 1 ? new int[] {1, cores} : new int[] {1}) {
        // Exercise every kernel path first: a path first met mid-measurement deoptimizes the
        // compiled matmul and the run continues in the interpreter/C1 until C2 catches up.
        for (int round = 0; round < 3; round++) {
          for (int batch : new int[] {1, 4, 16}) {
            decode(model, threads, batch, Math.min(32, decodeSteps), 1);
          }
          prefill(model, threads, Math.min(prefillTokens, model.config().contextLength() - 1), 1);
        }
        double b1 = decode(model, threads, 1, decodeSteps, repeats);
        double b4 = decode(model, threads, 4, decodeSteps, repeats);
        double b16 = decode(model, threads, 16, decodeSteps, repeats);
        double prefill =
            prefill(
                model,
                threads,
                Math.min(prefillTokens, model.config().contextLength() - 1),
                repeats);
        if (threads == 1 && entry.getKey().equals("synthetic-15M")) {
          java1ThreadB1 = b1;
        }
        System.out.printf(
            Locale.ROOT,
            "%-14s %7d %12.1f %12.1f %12.1f %14.1f %9.2fx%n",
            entry.getKey(),
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
      modelJson.add(
          "    \"" + entry.getKey() + "\": {\n" + String.join(",\n", threadJson) + "\n    }");
    }
    json.append(String.join(",\n", modelJson)).append("\n  }");

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
    json.append("\n}\n");
    Path out = Path.of(args.get("out", "target/bench/engine.json"));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, json);
    System.out.println("wrote " + out);
  }

  /** Aggregate decode tokens/s of {@code batch} sequences over positions 0..steps. */
  static double decode(Model model, int threads, int batch, int steps, int repeats) {
    int blocksPerSeq = (steps + 2 + 15) / 16;
    try (LlamaEngine engine =
        new LlamaEngine(
            model,
            EngineOptions.defaults().withThreads(threads).withKvBlocks(batch * blocksPerSeq + 1))) {
      List<Double> rates = new ArrayList<>();
      for (int r = 0; r <= repeats; r++) {
        int[] ids = new int[batch];
        int[][] tokens = new int[batch][1];
        for (int b = 0; b < batch; b++) {
          ids[b] = engine.newSequence();
          tokens[b][0] = model.tokenizer().bosId();
        }
        long start = System.nanoTime();
        for (int s = 0; s < steps; s++) {
          float[][] logits = engine.step(ids, tokens);
          for (int b = 0; b < batch; b++) {
            tokens[b][0] = dev.coemesh.pool.sampler.Sampler.argmax(logits[b]);
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        for (int id : ids) {
          engine.free(id);
        }
        if (r > 0) {
          rates.add(batch * steps / seconds); // run 0 warms the JIT up
        }
      }
      return median(rates);
    }
  }

  /** Prompt tokens/s of one prefill of {@code tokens} positions. */
  static double prefill(Model model, int threads, int tokens, int repeats) {
    int[] prompt = new int[tokens];
    for (int i = 0; i < tokens; i++) {
      prompt[i] = 3 + (i * 37) % (model.config().vocabSize() - 3);
    }
    try (LlamaEngine engine =
        new LlamaEngine(
            model,
            EngineOptions.defaults().withThreads(threads).withKvBlocks((tokens + 15) / 16 + 1))) {
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

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
