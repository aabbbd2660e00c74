package dev.coemesh.pool.cli;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.pool.model.TensorType;
import dev.coemesh.pool.synthetic.GgufQuantizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ./mesh quantize --in FILE.gguf --out FILE.gguf --type T}: writes the GGUF file with its
 * weight matrices in type T ({@link GgufQuantizer}); each matrix kept as it was is named on stderr.
 */
public final class Quantize {
  private static final Set<String> OPTIONS = Set.of("in", "out", "type");

  private Quantize() {}

  public static void main(String[] argv) {
    try {
      run(argv);
    } catch (IllegalArgumentException | MeshException e) {
      System.err.println("quantize: " + e.getMessage());
      System.exit(2);
    } catch (IOException e) {
      System.err.println("quantize: " + e);
      System.exit(1);
    }
  }

  static void run(String[] argv) throws IOException {
    Args args = Args.parse(argv, OPTIONS);
    Path in = Path.of(args.required("in"));
    Path out = Path.of(args.required("out"));
    TensorType type = type(args.required("type"));
    GgufQuantizer.Result result = GgufQuantizer.quantize(in, out, type);
    for (String line : result.kept()) {
      System.err.println("quantize: " + line);
    }
    System.err.printf(
        "quantize: wrote %s: %d matrices in %s, %d kept as they were%n",
        out, result.converted(), type, result.kept().size());
  }

  /** A {@code --type} value: a {@link TensorType} name, else an error listing them. */
  static TensorType type(String name) {
    try {
      return TensorType.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown --type " + name + " (known: " + Arrays.toString(TensorType.values()) + ")");
    }
  }
}
