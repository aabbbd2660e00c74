package dev.coemesh.kv.store;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.spi.KvStore;
import dev.coemesh.core.tenant.TenantId;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded mode's KV store: bounded in bytes, entries expire after their TTL, and the least
 * recently used entries are evicted when a write needs room. Thread-safe (one lock; operations are
 * map updates and array copies).
 */
public final class InMemoryKvStore implements KvStore {
  private record Entry(byte[] value, long expiresAtMs) {}

  private final long capacityBytes;
  private final Clock clock;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
  private final Map<Long, byte[]> tables = new ConcurrentHashMap<>(); // few, small, kept
  private long usedBytes;
  private long evictions;

  public InMemoryKvStore(long capacityBytes, Clock clock) {
    if (capacityBytes < 1) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.capacityBytes = capacityBytes;
    this.clock = clock;
  }

  public InMemoryKvStore(long capacityBytes) {
    this(capacityBytes, Clock.systemUTC());
  }

  @Override
  public CompletableFuture<Void> putChunks(
      TenantId tenant, RequestId request, List<byte[]> chunks, Duration ttl) {
    long total = chunks.stream().mapToLong(c -> c.length).sum();
    if (total > capacityBytes) {
      return CompletableFuture.failedFuture(
          new MeshException(
              ErrorCode.CAPACITY_EXHAUSTED,
              "KV of " + total + " bytes exceeds the store's " + capacityBytes));
    }
    long expires = clock.millis() + ttl.toMillis();
    synchronized (this) {
      for (int i = 0; i < chunks.size(); i++) {
        put(KvKeys.chunk(tenant, request, i), chunks.get(i).clone(), expires);
      }
      put(KvKeys.meta(tenant, request), KvKeys.metaRecord(chunks.size(), total), expires);
    }
    return CompletableFuture.completedFuture(null);
  }

  private void put(String key, byte[] value, long expires) {
    Entry old = entries.remove(key);
    if (old != null) {
      usedBytes -= old.value.length;
    }
    purgeExpired();
    Iterator<Map.Entry<String, Entry>> lru = entries.entrySet().iterator();
    while (usedBytes + value.length > capacityBytes && lru.hasNext()) {
      usedBytes -= lru.next().getValue().value.length;
      lru.remove();
      evictions++;
    }
    entries.put(key, new Entry(value, expires));
    usedBytes += value.length;
  }

  private void purgeExpired() {
    long now = clock.millis();
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (it.hasNext()) {
      Entry e = it.next().getValue();
      if (e.expiresAtMs <= now) {
        usedBytes -= e.value.length;
        it.remove();
      }
    }
  }

  @Override
  public synchronized CompletableFuture<byte[]> getChunk(
      TenantId tenant, RequestId request, int index) {
    String key = KvKeys.chunk(tenant, request, index);
    Entry e = entries.get(key);
    if (e == null || e.expiresAtMs <= clock.millis()) {
      return CompletableFuture.failedFuture(
          new MeshException(
              ErrorCode.KV_NOT_FOUND, "no KV chunk " + index + " for request " + request));
    }
    return CompletableFuture.completedFuture(e.value.clone());
  }

  @Override
  public synchronized CompletableFuture<Void> delete(
      TenantId tenant, RequestId request, int chunkCount) {
    for (int i = 0; i < chunkCount; i++) {
      remove(KvKeys.chunk(tenant, request, i));
    }
    remove(KvKeys.meta(tenant, request));
    return CompletableFuture.completedFuture(null);
  }

  private void remove(String key) {
    Entry e = entries.remove(key);
    if (e != null) {
      usedBytes -= e.value.length;
    }
  }

  @Override
  public CompletableFuture<Void> putTable(long id, byte[] table) {
    tables.put(id, table.clone());
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<byte[]> getTable(long id) {
    byte[] table = tables.get(id);
    return table == null
        ? CompletableFuture.failedFuture(
            new MeshException(ErrorCode.KV_NOT_FOUND, "no codec table " + Long.toHexString(id)))
        : CompletableFuture.completedFuture(table.clone());
  }

  /**
   * Live (unexpired) keys of requests (codec tables are kept apart); tests assert it returns to
   * zero after a handoff.
   */
  public synchronized int size() {
    purgeExpired();
    return entries.size();
  }

  public synchronized long usedBytes() {
    return usedBytes;
  }

  public synchronized long evictions() {
    return evictions;
  }

  @Override
  public void close() {}
}
