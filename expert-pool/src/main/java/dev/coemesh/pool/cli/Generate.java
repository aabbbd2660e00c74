package dev.coemesh.pool.cli;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import dev.coemesh.pool.scheduler.SequenceRequest;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code ./mesh generate}: runs one prompt through the embedded engine and prints only the
 * generated text on stdout, as it streams; load and speed figures go to stderr.
 */
public final class Generate {
  private static final Set<String> OPTIONS =
      Set.of(
          "model",
          "tokenizer",
          "prompt",
          "max-tokens",
          "temperature",
          "top-p",
          "top-k",
          "seed",
          "threads");

  private Generate() {}

  public static void main(String[] argv) {
    try {
      run(argv);
    } catch (IllegalArgumentException | MeshException e) {
      System.err.println("generate: " + e.getMessage());
      System.exit(2);
    }
  }

  static void run(String[] argv) {
    Args args = Args.parse(argv, OPTIONS);
    long loadStart = System.nanoTime();
    Path tokenizer =
        args.get("tokenizer", null) == null ? null : Path.of(args.get("tokenizer", null));
    Model model = ModelLoader.load(Path.of(args.required("model")), tokenizer);
    SamplingParams sampling =
        new SamplingParams(
            args.real("temperature", 0),
            args.integer("top-k", 0),
            args.real("top-p", 1),
            args.integer("seed", 42),
            args.integer("max-tokens", 256),
            List.of(),
            List.of(),
            -1);
    int threads = args.integer("threads", Runtime.getRuntime().availableProcessors());
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (LlamaEngine engine =
            new LlamaEngine(
                model,
                EngineOptions.defaults()
                    .withThreads(threads)
                    .withKvBlocks((model.config().contextLength() + 15) / 16 + 1));
        ContinuousBatcher batcher = new ContinuousBatcher(engine, SchedulerOptions.defaults())) {
      // load: from reading the files to an engine ready for the first step (its warm-up included)
      double loadMs = (System.nanoTime() - loadStart) / 1e6;
      int[] prompt = model.tokenizer().encode(args.get("prompt", ""), true);
      CompletableFuture<TokenEvent> end = new CompletableFuture<>();
      long start = System.nanoTime();
      batcher.submit(
          new SequenceRequest(prompt, sampling),
          event -> {
            switch (event) {
              case TokenEvent.Token t -> out.print(t.text());
              case TokenEvent.Finished f -> end.complete(f);
              case TokenEvent.Failed f -> end.complete(f);
              case TokenEvent.ToolCallDelta d -> {} // the engine makes no tool calls
            }
          });
      TokenEvent last = end.join();
      out.println();
      double seconds = (System.nanoTime() - start) / 1e9;
      switch (last) {
        case TokenEvent.Finished f ->
            System.err.printf(
                "generate: %s, %d prompt + %d generated tokens, load %.0f ms, TTFT %.1f ms, %.1f tok/s, finish %s%n",
                model.name(),
                f.usage().promptTokens(),
                f.usage().completionTokens(),
                loadMs,
                f.timings().ttftMs(),
                f.usage().completionTokens() / seconds,
                f.reason().wireName());
        case TokenEvent.Failed f -> throw new MeshException(f.code(), f.message());
        case TokenEvent.Token t -> throw new IllegalStateException("stream ended on a token");
        case TokenEvent.ToolCallDelta d ->
            throw new IllegalStateException("stream ended on a tool call");
      }
    }
  }
}
