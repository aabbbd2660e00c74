package dev.coemesh.pool.synthetic;

import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.model.Architecture;
import dev.coemesh.pool.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code ./mesh synth --out DIR [--shape stories15M | --dim D --hidden H --layers L --heads N
 * --kv-heads K --vocab V --seq S] [--arch llama|llama3|qwen2|phi3] [--rope-theta T] [--gguf-type
 * Q4_K_M] [--seed 1] [--chat-template FILE] [--control-tokens A,B]}: writes {@code model.bin},
 * {@code tokenizer.bin} and {@code model.gguf} with deterministic random weights; the GGUF's
 * matrices are laid out as llama.cpp's quantizer lays out the named {@link QuantMix} (default F32).
 * {@code --arch} shapes the GGUF file only (the llama2.c files are always plain Llama); {@code
 * llama3} is Llama with Llama 3.1-style rotary frequency factors. {@code --chat-template} embeds a
 * Jinja chat template in the GGUF file; {@code --control-tokens} adds the control tokens it writes
 * (comma-separated, e.g. {@code <|im_start|>,<|im_end|>}) to the end of its vocabulary (see {@link
 * ChatMetadata}).
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
          "seed",
          "arch",
          "rope-theta",
          "chat-template",
          "control-tokens");

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
    String archName = args.get("arch", "llama");
    boolean llama3 = archName.equals("llama3");
    Architecture arch =
        Architecture.fromGguf(llama3 ? "llama" : archName)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "--arch "
                            + archName
                            + "; supported: llama3, "
                            + Architecture.supportedNames()));
    ModelConfig shape =
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
    ModelConfig config =
        new ModelConfig(
            shape.dim(),
            shape.hiddenDim(),
            shape.layers(),
            shape.heads(),
            shape.kvHeads(),
            shape.vocabSize(),
            shape.contextLength(),
            (float) args.real("rope-theta", llama3 ? 500000 : shape.ropeTheta()),
            shape.ropeDim(),
            shape.rmsEps(),
            arch.ropeStyle());
    Path dir = Path.of(args.required("out"));
    Files.createDirectories(dir);
    SyntheticModel model = new SyntheticModel(config, args.integer("seed", 1));
    model.writeLlama2c(dir.resolve("model.bin"), dir.resolve("tokenizer.bin"));
    String templateFile = args.get("chat-template", null);
    String controlTokens = args.get("control-tokens", null);
    ChatMetadata chat =
        templateFile == null && controlTokens == null
            ? ChatMetadata.NONE
            : new ChatMetadata(
                templateFile == null ? null : Files.readString(Path.of(templateFile)),
                controlTokens == null ? List.of() : List.of(controlTokens.split(",")));
    model.writeGguf(
        dir.resolve("model.gguf"),
        mix(args.get("gguf-type", "F32")),
        arch,
        llama3 ? SyntheticModel.llama31FreqFactors(config.ropeDim()) : null,
        chat);
    System.out.println(
        "wrote " + dir.resolve("model.bin") + ", tokenizer.bin, model.gguf for " + config);
  }
}
