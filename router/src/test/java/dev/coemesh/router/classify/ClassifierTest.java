package dev.coemesh.router.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.router.config.RoutingConfig;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Classifier math on hand-made embeddings, where the right answers are known. */
class ClassifierTest {
  static final int DIM = 8;

  /** A unit vector near axis {@code axis}, with a small deterministic wobble. */
  static float[] near(int axis, SplittableRandom random, double noise) {
    float[] v = new float[DIM];
    v[axis] = 1;
    for (int d = 0; d < DIM; d++) {
      v[d] += (float) (noise * (random.nextDouble() - 0.5));
    }
    return Vectors.normalize(v);
  }

  /** Three categories along axes 0, 1, 2; {@code perCategory} examples each. */
  static TrainingSet clusters(int perCategory, double noise, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[][] x = new float[3 * perCategory][];
    int[] y = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = i % 3;
      x[i] = near(y[i], random, noise);
    }
    return new TrainingSet(List.of("a", "b", "c"), x, y);
  }

  @ParameterizedTest
  @EnumSource(
      value = RoutingConfig.ClassifierType.class,
      names = {"NEAREST_CENTROID", "KNN", "SOFTMAX"})
  void everyFamilyRecoversWellSeparatedClusters(RoutingConfig.ClassifierType type) {
    TrainingSet train = clusters(10, 0.3, 1);
    Classifier c =
        CategoryModel.trainer(type, new RoutingConfig.ClassifierSpec(type, 3, 5)).apply(train);
    SplittableRandom random = new SplittableRandom(99);
    double[] scores = new double[3];
    for (int axis = 0; axis < 3; axis++) {
      for (int trial = 0; trial < 10; trial++) {
        c.scores(near(axis, random, 0.3), scores);
        assertEquals(axis, Vectors.argmax(scores), type + " on axis " + axis);
      }
    }
  }

  @Test
  void knnSumsTheSimilaritiesOfTheKNearestExamplesPerCategory() {
    float[][] x = {
      {1, 0}, {0.8f, 0.6f}, {0, 1}, {-1, 0},
    };
    TrainingSet data = new TrainingSet(List.of("a", "b"), x, new int[] {0, 1, 1, 0});
    double[] scores = new double[2];
    KnnClassifier.train(data, 2).scores(new float[] {1, 0}, scores);
    // nearest two: (1,0) of a with similarity 1 and (0.8,0.6) of b with 0.8, each over k = 2
    assertEquals(0.5, scores[0], 1e-6);
    assertEquals(0.4, scores[1], 1e-6);
  }

  @Test
  void nearestCentroidScoresAreCosinesToTheNormalisedMeans() {
    float[][] x = {{1, 0}, {0, 1}, {0.6f, 0.8f}};
    TrainingSet data = new TrainingSet(List.of("a", "b"), x, new int[] {0, 1, 1});
    double[] scores = new double[2];
    NearestCentroidClassifier.train(data).scores(new float[] {1, 0}, scores);
    assertEquals(1.0, scores[0], 1e-6);
    // mean of (0,1) and (0.6,0.8) is (0.3, 0.9), normalised (0.3162, 0.9487)
    assertEquals(0.3 / Math.sqrt(0.9), scores[1], 1e-6);
  }

  @Test
  void foldsAreStratified() {
    TrainingSet data = clusters(7, 0.1, 3); // 21 examples, 7 per category
    int[] fold = CrossValidation.folds(data, 3, 42);
    int[][] counts = new int[3][3]; // [fold][category]
    for (int i = 0; i < fold.length; i++) {
      counts[fold[i]][data.y()[i]]++;
    }
    for (int[] f : counts) {
      for (int perCategory : f) {
        assertTrue(perCategory == 2 || perCategory == 3, "7 examples over 3 folds: 2 or 3 each");
      }
    }
  }

  @Test
  void crossValidationChoosesAFamilyAndReportsEachAccuracy() {
    CategoryModel model =
        CategoryModel.train(clusters(10, 0.3, 5), RoutingConfig.ClassifierSpec.DEFAULT, Map.of());
    assertEquals(
        List.of("nearest-centroid", "knn", "softmax"),
        List.copyOf(model.evaluation().crossValidatedAccuracy().keySet()));
    double best = 0;
    for (double a : model.evaluation().crossValidatedAccuracy().values()) {
      best = Math.max(best, a);
    }
    assertEquals(1.0, best, "three clean clusters are perfectly separable");
    assertEquals(
        best, model.evaluation().crossValidatedAccuracy().get(model.evaluation().chosen()));
    assertEquals(5, model.evaluation().folds());
  }

  @Test
  void confidenceIsTheSoftmaxOfTheScoresAtTheFittedTemperature() {
    TrainingSet data = clusters(10, 0.6, 5);
    RoutingConfig.ClassifierSpec spec =
        new RoutingConfig.ClassifierSpec(RoutingConfig.ClassifierType.NEAREST_CENTROID, 1, 5);
    CategoryModel model = CategoryModel.train(data, spec, Map.of());
    float[] between = Vectors.normalize(new float[] {1, 0.9f, 0.2f, 0, 0, 0, 0, 0});
    double[] scores = new double[3];
    NearestCentroidClassifier.train(data).scores(between, scores);
    double t = model.evaluation().temperature();
    double sum = 0;
    for (double s : scores) {
      sum += Math.exp(s / t);
    }
    CategoryModel.Prediction p = model.predict(between);
    assertEquals("a", p.category());
    assertEquals(Math.exp(scores[0] / t) / sum, p.confidence(), 1e-9);
    assertTrue(p.confidence() > 1.0 / 3 && p.confidence() < 1);
  }

  @Test
  void temperatureFitSharpensSeparableScoresAndSoftensNoisyOnes() {
    double[][] clean = {{1, 0}, {0, 1}, {1, 0}, {0, 1}};
    assertEquals(Temperature.MIN, Temperature.fit(clean, new int[] {0, 1, 0, 1}), 1e-12);
    double[][] coinFlips = {{1, 0}, {1, 0}, {0, 1}, {0, 1}};
    assertEquals(Temperature.MAX, Temperature.fit(coinFlips, new int[] {0, 1, 0, 1}), 1e-9);
  }

  /** Exact strong counts for a quantile threshold over ten rates 0.1 .. 1.0. */
  @ParameterizedTest
  @CsvSource({"0.0, 0", "0.1, 1", "0.25, 3", "0.3, 3", "0.5, 5", "0.94, 9", "1.0, 10"})
  void theThresholdSendsTheTargetShareToTheStrongExpert(double fraction, int strongCount) {
    double[] rates = {0.4, 0.1, 0.9, 0.3, 1.0, 0.2, 0.6, 0.8, 0.5, 0.7};
    double t = StrongWinRate.threshold(rates, fraction);
    int strong = 0;
    for (double r : rates) {
      strong += r >= t ? 1 : 0;
    }
    assertEquals(strongCount, strong);
  }

  @Test
  void calibrationSendsTheTargetShareOfOrdinaryExamplesToTheStrongExpert() {
    SplittableRandom random = new SplittableRandom(11);
    float[][] ordinary = new float[20][];
    for (int i = 0; i < ordinary.length; i++) {
      ordinary[i] = near(0, random, 0.8);
    }
    float[][] strong = {near(1, random, 0.1), near(1, random, 0.1), near(1, random, 0.1)};
    StrongWinRate model = StrongWinRate.calibrate(ordinary, strong, 0.25);
    int routedStrong = 0;
    for (float[] x : ordinary) {
      routedStrong += model.prefersStrong(model.winRate(x)) ? 1 : 0;
    }
    assertEquals(5, routedStrong);
    assertTrue(model.prefersStrong(model.winRate(near(1, random, 0))));
    assertTrue(model.winRate(near(1, random, 0)) > model.winRate(near(0, random, 0)));
  }
}
