package dev.coemesh.router.classify;

/**
 * Turns a prompt into a unit-length vector for the category classifier.
 *
 * <p>Contract: {@link #embed} returns a fresh array of {@link #dimension()} floats with L2 norm 1
 * (within float rounding); equal texts give equal vectors. Thread-safe. It blocks the caller for
 * the model's CPU time (milliseconds), so callers must not hold a lock around it.
 */
public interface Embedder {
  int dimension();

  float[] embed(String text);
}
