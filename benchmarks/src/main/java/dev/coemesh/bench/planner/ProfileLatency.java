package dev.coemesh.bench.planner;

import dev.coemesh.planner.latency.QuadraticLatencyModel;
import dev.coemesh.pool.profile.LatencyProfile;
import dev.coemesh.pool.profile.PhaseProfile;

/**
 * A profile file's fitted coefficients as the simulator's latency model. The profile's forms are
 * DistServe's (prefill {@code a + b*sum(len) + c*sum(len^2)}, decode {@code a + b*sum(ctx) +
 * c*batch}), the same as {@link QuadraticLatencyModel}'s, so the adapter only maps fields.
 */
final class ProfileLatency {
  private ProfileLatency() {}

  static QuadraticLatencyModel of(LatencyProfile profile) {
    PhaseProfile prefill = profile.prefill();
    PhaseProfile decode = profile.decode();
    if (!PhaseProfile.PREFILL_FORM.equals(prefill.form())
        || !PhaseProfile.DECODE_FORM.equals(decode.form())) {
      throw new IllegalArgumentException("profile forms are not DistServe's: " + profile.expert());
    }
    return new QuadraticLatencyModel(
        prefill.aMs(), prefill.bMs(), prefill.cMs(), decode.aMs(), decode.bMs(), decode.cMs());
  }
}
