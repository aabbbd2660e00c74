package dev.coemesh.pool.model;

/**
 * Which values of a head rotary position embedding rotates together. The two are not
 * interchangeable at run time: converters permute the Q and K weights of Llama checkpoints for
 * {@link #ADJACENT_PAIRS} and leave those of Qwen2 and Phi-3 as trained, so the style is a fact of
 * the architecture (llama.cpp's {@code llama_model_rope_type}: NORM and NEOX).
 */
public enum RopeStyle {
  /** Pairs (2i, 2i+1) of the head's rotated values (llama.cpp NORM: Llama, Mistral). */
  ADJACENT_PAIRS,
  /** Pairs (i, i + ropeDim/2): the two halves rotate together (llama.cpp NEOX: Qwen2, Phi-3). */
  HALVES
}
