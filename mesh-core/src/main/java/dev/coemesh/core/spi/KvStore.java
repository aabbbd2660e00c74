package dev.coemesh.core.spi;

import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.TenantId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Stores encoded KV chunks between prefill and decode, scoped by tenant: an implementation must
 * make a key of one tenant unreachable through another tenant's id. Entries expire after their TTL
 * even if nobody deletes them.
 *
 * <p>Thread-safe. Methods do not block the caller; failures complete the future exceptionally with
 * a {@link dev.coemesh.core.error.MeshException} ({@code KV_NOT_FOUND}, {@code
 * KV_STORE_UNAVAILABLE}) within the implementation's configured timeout.
 */
public interface KvStore extends AutoCloseable {

  /** Writes all chunks of a request (pipelined where the store allows) with one TTL. */
  CompletableFuture<Void> putChunks(
      TenantId tenant, RequestId request, List<byte[]> chunks, Duration ttl);

  /** Reads chunk {@code index}; completes with {@code KV_NOT_FOUND} when absent or expired. */
  CompletableFuture<byte[]> getChunk(TenantId tenant, RequestId request, int index);

  /** Deletes every chunk of the request; completes normally when nothing was there. */
  CompletableFuture<Void> delete(TenantId tenant, RequestId request, int chunkCount);

  /**
   * Stores a codec table under its content id, once per model and level, without a TTL. Tables are
   * shared by every tenant: they hold a model's KV statistics over calibration prompts, never a
   * request's data.
   */
  CompletableFuture<Void> putTable(long id, byte[] table);

  /** Reads a codec table; completes with {@code KV_NOT_FOUND} when absent. */
  CompletableFuture<byte[]> getTable(long id);

  @Override
  void close();
}
