package dev.coemesh.core.expert;

/** How one request is served by an expert. */
public enum ServingMode {
  /** One replica runs prefill and decode (the DistServe baseline). */
  COLOCATED,
  /** A prefill replica hands the KV cache to a decode replica through the KV store. */
  DISAGGREGATED
}
