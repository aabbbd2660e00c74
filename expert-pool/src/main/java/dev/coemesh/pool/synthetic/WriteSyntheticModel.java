package dev.coemesh.pool.synthetic;

import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code ./mesh synth --out DIR [--shape stories15M | --dim D --hidden H --layers L --heads N
 * --kv-heads K --vocab V --seq S] [--gguf-type Q4_K_M] [--seed 1]}: writes {@code model.bin},
 * {@code tokenizer.bin} and {@code model.gguf} with deterministic random weights; the GGUF's
 * matrices are laid out as llama.cpp's quantizer lays out the named {@link QuantMix} (default F32).
 */
public final class WriteSyntheticModel {
  private static final Set<String> OPTIONS =
      Set.of(
          "out",
          "shape",
          "dim",
          "hidden",
          "layers",
          "heads",
          "kv-heads",
          "vocab",
          "seq",
          "gguf-type",
          "seed");

  private WriteSyntheticModel() {}

  /** A {@code --gguf-type} value: one of {@link QuantMix}'s names, else an error listing them. */
  static QuantMix mix(String name) {
    try {
      return QuantMix.valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--gguf-type " + name + " is not one of " + java.util.Arrays.toString(QuantMix.values()),
          e);
    }
  }

  public static void main(String[] argv) throws IOException {
    Args args = Args.parse(argv, OPTIONS);
    ModelConfig config =
        "stories15M".equals(args.get("shape", "stories15M")) && args.get("dim", null) == null
            ? SyntheticModel.STORIES_15M
            : new ModelConfig(
                args.integer("dim", 288),
                args.integer("hidden", 768),
                args.integer("layers", 6),
                args.integer("heads", 6),
                args.integer("kv-heads", args.integer("heads", 6)),
                args.integer("vocab", 32000),
                args.integer("seq", 256),
                10000f,
                args.integer("dim", 288) / args.integer("heads", 6),
                1e-5f);
    Path dir = Path.of(args.required("out"));
    Files.createDirectories(dir);
    SyntheticModel model = new SyntheticModel(config, args.integer("seed", 1));
    model.writeLlama2c(dir.resolve("model.bin"), dir.resolve("tokenizer.bin"));
    model.writeGguf(dir.resolve("model.gguf"), mix(args.get("gguf-type", "F32")));
    System.out.println(
        "wrote " + dir.resolve("model.bin") + ", tokenizer.bin, model.gguf for " + config);
  }
}
