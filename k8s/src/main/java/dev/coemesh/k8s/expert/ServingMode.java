package dev.coemesh.k8s.expert;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How an expert's replicas split the work of a request (the routing config's {@code mode}). */
public enum ServingMode {
  /** Each replica prefills and decodes its own requests. */
  @JsonProperty("colocated")
  COLOCATED,
  /** Prefill replicas compute the prompt's KV and hand it to decode replicas. */
  @JsonProperty("disaggregated")
  DISAGGREGATED
}
