package dev.coemesh.kv.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.TenantId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryKvStoreTest {
  private static final TenantId A = new TenantId("a");
  private static final TenantId B = new TenantId("b");

  /** A clock the test moves. */
  static final class ManualClock extends Clock {
    long millis;

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void entriesExpireAreTenantScopedAndDeleteLeavesNothing() throws Exception {
    ManualClock clock = new ManualClock();
    InMemoryKvStore store = new InMemoryKvStore(1 << 20, clock);
    RequestId r = RequestId.random();
    store.putChunks(A, r, List.of(new byte[] {1}, new byte[] {2}), Duration.ofSeconds(10)).get();
    assertArrayEquals(new byte[] {2}, store.getChunk(A, r, 1).get());
    assertEquals(ErrorCode.KV_NOT_FOUND, RedisKvStoreTest.failure(store.getChunk(B, r, 1)).code());
    assertEquals(3, store.size()); // two chunks + metadata
    clock.millis += 10_001;
    assertEquals(ErrorCode.KV_NOT_FOUND, RedisKvStoreTest.failure(store.getChunk(A, r, 0)).code());
    assertEquals(0, store.size());
    RequestId r2 = RequestId.random();
    store.putChunks(A, r2, List.of(new byte[] {1}), Duration.ofSeconds(10)).get();
    store.delete(A, r2, 1).get();
    assertEquals(0, store.size());
    assertEquals(0, store.usedBytes());
  }

  @Test
  void theLeastRecentlyUsedEntriesGoWhenFull() throws Exception {
    InMemoryKvStore store =
        new InMemoryKvStore(150); // each request: 40-byte chunk + ~16-byte metadata
    RequestId old = RequestId.random();
    RequestId recent = RequestId.random();
    store.putChunks(A, old, List.of(new byte[40]), Duration.ofMinutes(1)).get();
    store.putChunks(A, recent, List.of(new byte[40]), Duration.ofMinutes(1)).get();
    store.getChunk(A, old, 0).get(); // old becomes recently used
    store.putChunks(A, RequestId.random(), List.of(new byte[40]), Duration.ofMinutes(1)).get();
    assertEquals(
        ErrorCode.KV_NOT_FOUND, RedisKvStoreTest.failure(store.getChunk(A, recent, 0)).code());
    store.getChunk(A, old, 0).get();
    assertEquals(
        ErrorCode.CAPACITY_EXHAUSTED,
        RedisKvStoreTest.failure(
                store.putChunks(
                    A, RequestId.random(), List.of(new byte[200]), Duration.ofMinutes(1)))
            .code());
  }
}
