package dev.coemesh.core.expert;

import java.util.Objects;

/**
 * Where one routed request runs: the router decides it once, and the gateway executes exactly this
 * placement (switching on it exhaustively); no other component chooses a replica. A failover asks
 * the router again for a replacement of the failed replica.
 */
public sealed interface Placement {

  /** The serving mode this placement implies. */
  ServingMode mode();

  /** An OpenAI-compatible upstream server reached by its URL; replicas are its own business. */
  record Upstream() implements Placement {
    @Override
    public ServingMode mode() {
      return ServingMode.COLOCATED;
    }
  }

  /** One replica runs prefill and decode. */
  record Colocated(ReplicaId replica) implements Placement {
    public Colocated {
      Objects.requireNonNull(replica, "replica");
    }

    @Override
    public ServingMode mode() {
      return ServingMode.COLOCATED;
    }
  }

  /** A prefill replica computes the prompt's KV, which a decode replica pulls through the store. */
  record Disaggregated(ReplicaId prefill, ReplicaId decode) implements Placement {
    public Disaggregated {
      Objects.requireNonNull(prefill, "prefill");
      Objects.requireNonNull(decode, "decode");
      if (prefill.role() != ReplicaRole.PREFILL || decode.role() != ReplicaRole.DECODE) {
        throw new IllegalArgumentException(
            "a disaggregated placement pairs a prefill replica with a decode replica, was "
                + prefill
                + " + "
                + decode);
      }
      if (!prefill.expert().equals(decode.expert())) {
        throw new IllegalArgumentException("prefill and decode replicas of different experts");
      }
    }

    @Override
    public ServingMode mode() {
      return ServingMode.DISAGGREGATED;
    }
  }
}
