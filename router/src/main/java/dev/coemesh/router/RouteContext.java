package dev.coemesh.router;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaRole;
import java.util.Objects;

/**
 * One request as replica selection sees it.
 *
 * @param role the role the replica must have (colocated, prefill or decode)
 * @param blockHashes the prompt's chained full-block hashes ({@code mesh-core} {@code BlockHashes})
 * @param promptTokens prompt length in tokens
 * @param blockSize positions per KV block of the expert's replicas
 * @param sessionKey a client session to keep on one replica, or null
 */
public record RouteContext(
    ExpertId expert,
    ReplicaRole role,
    long[] blockHashes,
    int promptTokens,
    int blockSize,
    String sessionKey) {
  public RouteContext {
    Objects.requireNonNull(expert, "expert");
    Objects.requireNonNull(role, "role");
    blockHashes = blockHashes.clone();
    if (promptTokens < 0 || blockSize < 1) {
      throw new IllegalArgumentException("prompt tokens >= 0 and block size >= 1 required");
    }
  }

  /** KV blocks a replica needs for this prompt's uncached part plus one generated token. */
  public int blocksNeeded(int cachedBlocks) {
    int uncachedTokens = Math.max(0, promptTokens - cachedBlocks * blockSize) + 1;
    return (uncachedTokens + blockSize - 1) / blockSize;
  }
}
