package dev.coemesh.pool.profile;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ./mesh profile EXPERT [--model FILE] [--tokenizer FILE] [--threads N] [--seconds S]
 * [--max-batch B] [--max-prefill-tokens T] [--out FILE]}: profiles the engine on the expert's model
 * and writes {@code target/profiles/EXPERT.json} (expert-pool/README.md, "Profiles"). The default
 * model is given by {@code --model}: any llama2.c {@code .bin} (with {@code --tokenizer}) or GGUF
 * file, under any expert name; {@code ./mesh profile} (the benchmarks module's {@code
 * ExpertProfileMain}) finds an expert's model in the routing config.
 */
public final class ProfileMain {
  private static final Set<String> OPTIONS =
      Set.of("model", "tokenizer", "threads", "seconds", "max-batch", "out", "max-prefill-tokens");

  private ProfileMain() {}

  /** How to profile. */
  public record Settings(
      String expert,
      Path model,
      Path tokenizer,
      int threads,
      double seconds,
      int maxBatch,
      int maxPrefillTokens) {}

  public static void main(String[] argv) throws IOException {
    try {
      run(argv);
    } catch (IllegalArgumentException | MeshException e) {
      System.err.println("profile: " + e.getMessage());
      System.exit(2);
    }
  }

  private static void run(String[] argv) throws IOException {
    if (argv.length == 0 || argv[0].startsWith("--")) {
      throw new IllegalArgumentException(
          "usage: ./mesh profile EXPERT [--model FILE] [--tokenizer FILE] [--threads N]"
              + " [--seconds S] [--max-batch B] [--max-prefill-tokens T] [--out FILE]");
    }
    String expert = argv[0];
    // the name becomes target/profiles/EXPERT.json: no path separators or dot-dot
    if (!expert.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException(
          "expert name '" + expert + "' must be letters, digits, '.', '_' or '-'");
    }
    Args args = Args.parse(java.util.Arrays.copyOfRange(argv, 1, argv.length), OPTIONS);
    String modelArg = args.get("model", null);
    if (modelArg == null) {
      throw new IllegalArgumentException(
          "give --model FILE (./mesh profile EXPERT finds the expert's model in the routing"
              + " config)");
    }
    Path root = Path.of(System.getProperty("mesh.root", "."));
    Path model = Path.of(modelArg);
    String tokArg = args.get("tokenizer", null);
    Path tokenizer = tokArg == null ? null : Path.of(tokArg);
    Settings settings =
        new Settings(
            expert,
            model,
            tokenizer,
            args.integer("threads", Runtime.getRuntime().availableProcessors()),
            args.real("seconds", 60),
            args.integer("max-batch", 8),
            args.integer("max-prefill-tokens", 2048));
    Path out =
        Path.of(args.get("out", root.resolve("target/profiles/" + expert + ".json").toString()));
    LatencyProfile profile = profile(settings);
    profile.write(out);
    System.out.println(summary(profile, out));
  }

  /** Loads the model, measures it for the settings' budget and fits both phases. */
  public static LatencyProfile profile(Settings s) throws IOException {
    Model model = ModelLoader.load(s.model(), s.tokenizer());
    int context = model.config().contextLength();
    Profiler.Grid grid = Profiler.Grid.forContext(context, s.maxBatch(), s.maxPrefillTokens());
    EngineOptions options = EngineOptions.defaults().withThreads(s.threads());
    options = options.withKvBlocks(Profiler.kvBlocks(grid, context, options.blockSize()));
    Profiler.Measurement m;
    try (LlamaEngine engine = new LlamaEngine(model, options)) {
      m = new Profiler(engine, grid).measure((long) (s.seconds() * 1e9));
    }
    return new LatencyProfile(
        s.expert(),
        s.model().getFileName().toString(),
        sha256(s.model()),
        new LatencyProfile.Machine(
            Runtime.getRuntime().availableProcessors(), Runtime.version().toString(), s.threads()),
        Instant.now().toString(),
        PhaseProfile.fitted(PhaseProfile.PREFILL_FORM, m.prefill()),
        PhaseProfile.fitted(PhaseProfile.DECODE_FORM, m.decode()),
        "measured");
  }

  static String summary(LatencyProfile p, Path out) {
    PhaseProfile pf = p.prefill();
    PhaseProfile d = p.decode();
    return String.format(
        Locale.ROOT,
        "profile %s (%s): prefill ms = %.4g + %.4g*sum_len + %.4g*sum_len2 (R2 %.3f, %d points);"
            + " decode ms = %.4g + %.4g*sum_ctx + %.4g*batch (R2 %.3f, %d points) -> %s",
        p.expert(),
        p.model(),
        pf.aMs(),
        pf.bMs(),
        pf.cMs(),
        pf.r2(),
        pf.points().size(),
        d.aMs(),
        d.bMs(),
        d.cMs(),
        d.r2(),
        d.points().size(),
        out);
  }

  static String sha256(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest())) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    }
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
