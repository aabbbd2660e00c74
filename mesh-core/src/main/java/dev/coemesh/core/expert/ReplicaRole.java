package dev.coemesh.core.expert;

/** What a replica of an expert pool can do. */
public enum ReplicaRole {
  COLOCATED,
  PREFILL,
  DECODE
}
