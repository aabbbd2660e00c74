package dev.coemesh.router.picker;

import dev.coemesh.router.replica.ReplicaView;
import java.util.List;

/**
 * Chooses one replica from scored candidates (scores[i] belongs to candidates[i]); non-empty input.
 */
public interface Picker {
  ReplicaView pick(List<ReplicaView> candidates, double[] scores);
}
