package dev.coemesh.router.replica;

import dev.coemesh.core.expert.ReplicaId;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;

/**
 * What the router knows about one replica at decision time (an immutable snapshot).
 *
 * @param cachedBlocks chained hashes of the KV blocks the replica reported as stored; a read-only
 *     and possibly live view of the registry's set (copying every replica's blocks per request
 *     would cost more than the match), so a concurrent KV event may show through
 * @param breakerOpen the replica's circuit breaker refuses traffic now
 * @param endpoint where the replica serves gRPC ({@code host:port}) as its latest load report
 *     announced; null for a replica in this process
 * @param modelFingerprint the fingerprint of the weights it serves, from the same report; 0 unknown
 * @param placedSinceReport requests this router placed on the replica since its latest load report
 *     (that report cannot count them yet)
 */
public record ReplicaView(
    ReplicaId id,
    String endpoint,
    long modelFingerprint,
    int queueDepth,
    int runningSequences,
    int kvBlocksUsed,
    int kvBlocksFree,
    Set<Long> cachedBlocks,
    boolean breakerOpen,
    int placedSinceReport) {
  public ReplicaView {
    Objects.requireNonNull(id, "id");
    cachedBlocks = Collections.unmodifiableSet(cachedBlocks);
    if (queueDepth < 0
        || runningSequences < 0
        || kvBlocksUsed < 0
        || kvBlocksFree < 0
        || placedSinceReport < 0) {
      throw new IllegalArgumentException("load figures must be >= 0");
    }
  }

  /** A view without an endpoint or a known fingerprint (an in-process replica). */
  public ReplicaView(
      ReplicaId id,
      int queueDepth,
      int runningSequences,
      int kvBlocksUsed,
      int kvBlocksFree,
      Set<Long> cachedBlocks,
      boolean breakerOpen) {
    this(
        id,
        null,
        0,
        queueDepth,
        runningSequences,
        kvBlocksUsed,
        kvBlocksFree,
        cachedBlocks,
        breakerOpen,
        0);
  }

  /**
   * Sequences on the replica as this router knows them: running and waiting at its latest report,
   * plus what was placed on it since.
   */
  public int load() {
    return runningSequences + queueDepth + placedSinceReport;
  }

  /** Fraction of KV blocks in use, 0 when the replica reported no pool. */
  public double kvUtilisation() {
    int total = kvBlocksUsed + kvBlocksFree;
    return total == 0 ? 0 : (double) kvBlocksUsed / total;
  }

  /** Leading blocks of {@code requestBlocks} (a chained-hash prefix) that this replica holds. */
  public int matchedPrefixBlocks(long[] requestBlocks) {
    int matched = 0;
    while (matched < requestBlocks.length && cachedBlocks.contains(requestBlocks[matched])) {
      matched++;
    }
    return matched;
  }
}
