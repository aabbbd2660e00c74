package dev.coemesh.router.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Stratified k-fold cross-validation: every category's examples are shuffled (seeded, so a config
 * always gives the same folds) and dealt round-robin to the folds; each fold is scored by a model
 * trained on the others.
 */
public final class CrossValidation {
  private CrossValidation() {}

  /** Out-of-fold logits of every example. // [examples][categories] */
  public static double[][] outOfFoldScores(
      TrainingSet data, Function<TrainingSet, Classifier> trainer, int folds, long seed) {
    int[] fold = folds(data, folds, seed);
    int classes = data.categories().size();
    double[][] scores = new double[data.size()][classes];
    for (int f = 0; f < folds; f++) {
      List<Integer> train = new ArrayList<>();
      List<Integer> test = new ArrayList<>();
      for (int i = 0; i < data.size(); i++) {
        (fold[i] == f ? test : train).add(i);
      }
      if (test.isEmpty()) {
        continue;
      }
      Classifier model = trainer.apply(data.subset(toArray(train)));
      for (int i : test) {
        model.scores(data.x()[i], scores[i]);
      }
    }
    return scores;
  }

  /** Fraction of rows whose highest score is their label. */
  public static double accuracy(double[][] scores, int[] labels) {
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      if (Vectors.argmax(scores[i]) == labels[i]) {
        correct++;
      }
    }
    return (double) correct / labels.length;
  }

  /** The fold of each example. */
  static int[] folds(TrainingSet data, int folds, long seed) {
    if (folds < 2) {
      throw new IllegalArgumentException("need at least 2 folds");
    }
    SplittableRandom random = new SplittableRandom(seed);
    int[] fold = new int[data.size()];
    int next = 0; // continues across categories so small categories do not all start at fold 0
    for (int k = 0; k < data.categories().size(); k++) {
      List<Integer> rows = new ArrayList<>();
      for (int i = 0; i < data.size(); i++) {
        if (data.y()[i] == k) {
          rows.add(i);
        }
      }
      for (int i = rows.size() - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        rows.set(i, rows.set(j, rows.get(i)));
      }
      for (int row : rows) {
        fold[row] = next++ % folds;
      }
    }
    return fold;
  }

  private static int[] toArray(List<Integer> list) {
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i);
    }
    return out;
  }
}
