package dev.coemesh.planner.sim;

/** How one expert's replicas are deployed. */
public sealed interface Placement {

  int replicas();

  /** Every replica runs both phases with continuous batching. */
  record Colocated(int replicas) implements Placement {
    public Colocated {
      if (replicas < 1) {
        throw new IllegalArgumentException("replicas must be >= 1: " + replicas);
      }
    }

    @Override
    public String toString() {
      return "colocated(" + replicas + ")";
    }
  }

  /** Prefill and decode run in separate pools; the KV cache moves between them. */
  record Disaggregated(int prefill, int decode) implements Placement {
    public Disaggregated {
      if (prefill < 1 || decode < 1) {
        throw new IllegalArgumentException(
            "prefill and decode must be >= 1: " + prefill + ", " + decode);
      }
    }

    @Override
    public int replicas() {
      return prefill + decode;
    }

    @Override
    public String toString() {
      return "disaggregated(" + prefill + "P+" + decode + "D)";
    }
  }
}
