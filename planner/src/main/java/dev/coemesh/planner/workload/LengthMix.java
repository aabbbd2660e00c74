package dev.coemesh.planner.workload;

import java.util.Objects;

/** The input and output length distributions of a workload. */
public record LengthMix(LengthDistribution input, LengthDistribution output) {
  public LengthMix {
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(output, "output");
  }
}
