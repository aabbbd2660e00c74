package dev.coemesh.pool.model;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The transformer architectures the engine runs, named as GGUF's {@code general.architecture} names
 * them. All are the Llama block (RMSNorm, rotary attention with grouped-query heads, SwiGLU); they
 * differ in how the file stores it and which rotary style it was trained with.
 */
public enum Architecture {
  /** Llama 1/2/3 and Mistral (Mistral files say {@code llama}): separate Q, K, V, gate and up. */
  LLAMA("llama", RopeStyle.ADJACENT_PAIRS),
  /** Qwen2 and Qwen2.5: Llama plus biases on Q, K and V. */
  QWEN2("qwen2", RopeStyle.HALVES),
  /** Phi-3 and Phi-3.5 mini: one fused QKV matrix and one fused gate+up matrix. */
  PHI3("phi3", RopeStyle.HALVES);

  private final String ggufName;
  private final RopeStyle ropeStyle;

  Architecture(String ggufName, RopeStyle ropeStyle) {
    this.ggufName = ggufName;
    this.ropeStyle = ropeStyle;
  }

  /** The name in {@code general.architecture}, also the prefix of the shape keys. */
  public String ggufName() {
    return ggufName;
  }

  public RopeStyle ropeStyle() {
    return ropeStyle;
  }

  /** The architecture a GGUF file names, if the engine runs it. */
  public static Optional<Architecture> fromGguf(String name) {
    return Arrays.stream(values()).filter(a -> a.ggufName.equals(name)).findFirst();
  }

  /** "llama, qwen2, phi3", for errors that name what is supported. */
  public static String supportedNames() {
    return Arrays.stream(values()).map(Architecture::ggufName).collect(Collectors.joining(", "));
  }
}
