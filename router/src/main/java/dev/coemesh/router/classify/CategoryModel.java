package dev.coemesh.router.classify;

import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The trained step-1 router of one config: the category classifier chosen by cross-validation on
 * the config's examples, its fitted temperature, and the calibrated strong/weak models of the
 * categories that have a cost/quality route. Immutable and thread-safe; a config reload trains a
 * new one.
 */
public final class CategoryModel {
  private static final Logger LOG = Logger.getLogger(CategoryModel.class.getName());
  private static final long FOLD_SEED = 0x5EED;

  /**
   * How the classifier was chosen.
   *
   * @param crossValidatedAccuracy out-of-fold top-1 accuracy of each family tried, in [0, 1]
   */
  public record Evaluation(
      Map<String, Double> crossValidatedAccuracy, String chosen, double temperature, int folds) {
    public Evaluation {
      crossValidatedAccuracy =
          Collections.unmodifiableMap(new LinkedHashMap<>(crossValidatedAccuracy));
    }
  }

  /**
   * @param confidence the chosen category's probability, in [1/K, 1]
   */
  public record Prediction(int index, String category, double confidence) {}

  private final List<String> categories;
  private final Classifier classifier;
  private final double temperature;
  private final Map<String, StrongWinRate> strongWeak;
  private final Evaluation evaluation;

  private CategoryModel(
      List<String> categories,
      Classifier classifier,
      double temperature,
      Map<String, StrongWinRate> strongWeak,
      Evaluation evaluation) {
    this.categories = categories;
    this.classifier = classifier;
    this.temperature = temperature;
    this.strongWeak = strongWeak;
    this.evaluation = evaluation;
  }

  /** Embeds the config's examples and trains; blocks for the embedding time (about 3 ms each). */
  public static CategoryModel train(RoutingConfig config, Embedder embedder) {
    TrainingSet data = examples(config, embedder);
    Map<String, StrongWinRate> strongWeak = new LinkedHashMap<>();
    int row = 0; // examples() lays out each category's ordinary examples, then its strong ones
    for (RoutingConfig.Category c : config.categories()) {
      int ordinary = c.examples().size();
      int strong = c.strongExamples().size();
      if (config.routes().get(c.name()) instanceof RoutingConfig.Route.StrongWeak pair) {
        strongWeak.put(
            c.name(),
            StrongWinRate.calibrate(
                Arrays.copyOfRange(data.x(), row, row + ordinary),
                Arrays.copyOfRange(data.x(), row + ordinary, row + ordinary + strong),
                pair.strongFraction()));
      }
      row += ordinary + strong;
    }
    return train(data, config.classifier(), strongWeak);
  }

  /**
   * The config's examples, embedded and labelled: per category in config order, its examples then
   * its strong examples (prompts of the category too, so the classifier learns them).
   */
  public static TrainingSet examples(RoutingConfig config, Embedder embedder) {
    List<String> names = new ArrayList<>();
    List<float[]> x = new ArrayList<>();
    List<Integer> y = new ArrayList<>();
    for (int k = 0; k < config.categories().size(); k++) {
      RoutingConfig.Category c = config.categories().get(k);
      names.add(c.name());
      List<String> texts = new ArrayList<>(c.examples());
      texts.addAll(c.strongExamples());
      for (float[] v : embedAll(embedder, texts)) {
        x.add(v);
        y.add(k);
      }
    }
    int[] labels = new int[y.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = y.get(i);
    }
    return new TrainingSet(names, x.toArray(new float[0][]), labels);
  }

  /** Chooses, calibrates and trains the classifier on already embedded examples. */
  public static CategoryModel train(
      TrainingSet data, RoutingConfig.ClassifierSpec spec, Map<String, StrongWinRate> strongWeak) {
    List<RoutingConfig.ClassifierType> families = new ArrayList<>();
    if (spec.type() == RoutingConfig.ClassifierType.AUTO) {
      for (RoutingConfig.ClassifierType t : RoutingConfig.ClassifierType.values()) {
        if (t != RoutingConfig.ClassifierType.AUTO) {
          families.add(t);
        }
      }
    } else {
      families.add(spec.type());
    }
    int[] counts = new int[data.categories().size()];
    for (int label : data.y()) {
      counts[label]++;
    }
    int smallest = Integer.MAX_VALUE;
    for (int c : counts) {
      smallest = Math.min(smallest, c);
    }
    // A fold per example of the smallest category at most, so every fold tests every category.
    int folds = Math.max(2, Math.min(spec.folds(), smallest));
    Map<String, Double> accuracy = new LinkedHashMap<>();
    RoutingConfig.ClassifierType best = null;
    double[][] bestScores = null;
    double bestAccuracy = -1;
    for (RoutingConfig.ClassifierType family : families) {
      double[][] scores =
          CrossValidation.outOfFoldScores(data, trainer(family, spec), folds, FOLD_SEED);
      double a = CrossValidation.accuracy(scores, data.y());
      accuracy.put(RoutingConfigLoader.typeName(family), a);
      if (a > bestAccuracy) { // ties keep the earlier, simpler family
        bestAccuracy = a;
        best = family;
        bestScores = scores;
      }
    }
    double temperature = Temperature.fit(bestScores, data.y());
    Classifier classifier = trainer(best, spec).apply(data);
    Evaluation evaluation = new Evaluation(accuracy, classifier.name(), temperature, folds);
    LOG.info(
        "routing classifier: "
            + folds
            + "-fold cross-validated accuracy "
            + accuracy
            + " over "
            + data.size()
            + " examples; using "
            + classifier.name()
            + " at temperature "
            + String.format(java.util.Locale.ROOT, "%.4f", temperature));
    return new CategoryModel(
        data.categories(), classifier, temperature, Map.copyOf(strongWeak), evaluation);
  }

  /** Trains one family; a switch over every type so a new family cannot be forgotten here. */
  public static Function<TrainingSet, Classifier> trainer(
      RoutingConfig.ClassifierType type, RoutingConfig.ClassifierSpec spec) {
    return switch (type) {
      case NEAREST_CENTROID -> NearestCentroidClassifier::train;
      case KNN -> data -> KnnClassifier.train(data, spec.k());
      case SOFTMAX -> SoftmaxClassifier::train;
      case AUTO -> throw new IllegalArgumentException("auto is resolved by cross-validation");
    };
  }

  public Prediction predict(float[] embedding) {
    double[] scores = new double[categories.size()];
    classifier.scores(embedding, scores);
    double[] p = new double[scores.length];
    Vectors.softmax(scores, temperature, p);
    int best = Vectors.argmax(p);
    return new Prediction(best, categories.get(best), p[best]);
  }

  /** The category's calibrated strong/weak model, or null when it routes to one expert. */
  public StrongWinRate strongWeak(String category) {
    return strongWeak.get(category);
  }

  public List<String> categories() {
    return categories;
  }

  public Evaluation evaluation() {
    return evaluation;
  }

  private static float[][] embedAll(Embedder embedder, List<String> texts) {
    float[][] out = new float[texts.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = embedder.embed(texts.get(i));
    }
    return out;
  }
}
