package dev.coemesh.router.picker;

import dev.coemesh.router.replica.ReplicaView;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The highest score; ties (within 1e-9) broken uniformly at random so equal replicas share load.
 */
public final class MaxScorePicker implements Picker {
  private final RandomGenerator random;

  public MaxScorePicker(RandomGenerator random) {
    this.random = random;
  }

  @Override
  public ReplicaView pick(List<ReplicaView> candidates, double[] scores) {
    double best = Double.NEGATIVE_INFINITY;
    for (double s : scores) {
      best = Math.max(best, s);
    }
    int ties = 0;
    int chosen = 0;
    for (int i = 0; i < scores.length; i++) {
      if (scores[i] >= best - 1e-9 && random.nextInt(++ties) == 0) {
        chosen = i; // reservoir sampling over the tied candidates
      }
    }
    return candidates.get(chosen);
  }
}
