package dev.coemesh.router.classify;

/**
 * Step 1 of routing: scores a prompt embedding against each category.
 *
 * <p>Contract: {@link #scores} writes one finite logit per category (in the order of the training
 * set's categories) into {@code out}; higher means more likely, and {@code softmax(scores / T)}
 * with the temperature fitted by {@link CategoryModel} is the category distribution whose maximum
 * is the decision's confidence in [1/K, 1]. Implementations are immutable after training: pure,
 * thread-safe, never block, and take microseconds (the embedding costs milliseconds).
 */
public interface Classifier {
  /** The family name, as in the config ({@code nearest-centroid}, {@code knn}, {@code softmax}). */
  String name();

  /**
   * @param embedding unit-length prompt embedding // [dim]
   * @param out logits // [categories]
   */
  void scores(float[] embedding, double[] out);
}
