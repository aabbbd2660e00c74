package dev.coemesh.kv.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.kv.codec.CacheGenCodec;
import dev.coemesh.kv.fetch.PipelinedFetch;
import dev.coemesh.testkit.RedisExtension;
import dev.coemesh.testkit.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Against a real redis-server. */
@ExtendWith(RedisExtension.class)
class RedisKvStoreTest {
  private static final TenantId ACME = new TenantId("acme");
  private static final TenantId EVIL = new TenantId("evil");

  static MeshException failure(CompletableFuture<?> f) throws InterruptedException {
    try {
      f.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return (MeshException) e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the store hung instead of failing", e);
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void putGetExpireAndDelete(RedisServer redis) throws Exception {
    try (RedisKvStore store = new RedisKvStore(redis.uri(), Duration.ofSeconds(2))) {
      RequestId req = RequestId.random();
      store
          .putChunks(
              ACME, req, List.of(new byte[] {1, 2, 3}, new byte[] {4}), Duration.ofSeconds(30))
          .get();
      assertArrayEquals(new byte[] {4}, store.getChunk(ACME, req, 1).get());
      assertEquals("$16", redis.command("GET", "kv:acme:" + req + ":meta")); // "chunks=2;bytes=4"
      store.delete(ACME, req, 2).get();
      assertEquals(ErrorCode.KV_NOT_FOUND, failure(store.getChunk(ACME, req, 0)).code());
      assertEquals(
          ":0",
          redis.command(
              "EXISTS",
              "kv:acme:" + req + ":0",
              "kv:acme:" + req + ":1",
              "kv:acme:" + req + ":meta"));

      RequestId shortLived = RequestId.random();
      store.putChunks(ACME, shortLived, List.of(new byte[] {9}), Duration.ofMillis(100)).get();
      Thread.sleep(250);
      assertEquals(ErrorCode.KV_NOT_FOUND, failure(store.getChunk(ACME, shortLived, 0)).code());
    }
  }

  @Test
  void anotherTenantCannotReadTheKv(RedisServer redis) throws Exception {
    try (RedisKvStore store = new RedisKvStore(redis.uri(), Duration.ofSeconds(2))) {
      RequestId req = RequestId.random();
      store.putChunks(ACME, req, List.of(new byte[] {7}), Duration.ofSeconds(30)).get();
      assertEquals(ErrorCode.KV_NOT_FOUND, failure(store.getChunk(EVIL, req, 0)).code());
      store.delete(ACME, req, 1).get();
    }
  }

  @Test
  void aHandoffThroughRedisRoundTripsAndLeavesNoKeys(RedisServer redis) throws Exception {
    ModelFingerprint model = new ModelFingerprint(5);
    CacheGenCodec codec = new CacheGenCodec();
    KvTensor kv = KvTensor.zeros(2, 600, 16);
    for (int i = 0; i < kv.data().length; i++) {
      kv.data()[i] = (float) Math.sin(i * 0.01);
    }
    List<byte[]> chunks = new ArrayList<>();
    for (int t = 0; t < kv.tokens(); t += 256) {
      chunks.add(codec.encode(kv.slice(t, Math.min(kv.tokens(), t + 256)), 0, model));
    }
    try (RedisKvStore store = new RedisKvStore(redis.uri(), Duration.ofSeconds(2))) {
      RequestId req = RequestId.random();
      store.putChunks(ACME, req, chunks, Duration.ofSeconds(30)).get();
      KvHandle handle = new KvHandle(model, ACME, req, kv.tokens(), chunks.size(), 0, 0);
      List<KvTensor> received = new ArrayList<>();
      PipelinedFetch.Stats stats =
          PipelinedFetch.fetch(store, codec, handle, Duration.ofSeconds(2), received::add);
      assertEquals(3, received.size());
      int at = 0;
      for (KvTensor part : received) {
        for (int i = 0; i < part.tokens(); i++, at++) {
          assertEquals(kv.data()[kv.offset(1, 1, at) + 3], part.data()[part.offset(1, 1, i) + 3]);
        }
      }
      assertEquals(600, at);
      assertTrue(stats.bytes() > 0);
      store.delete(ACME, req, chunks.size()).get();
      assertEquals(
          ":0",
          redis.command(
              "EXISTS",
              "kv:acme:" + req + ":0",
              "kv:acme:" + req + ":2",
              "kv:acme:" + req + ":meta"));
    }
  }

  @Test
  void aStoppedRedisGivesATypedErrorWithinTheTimeout() throws Exception {
    try (RedisServer own = RedisServer.startNew();
        RedisKvStore store = new RedisKvStore(own.uri(), Duration.ofMillis(500))) {
      RequestId req = RequestId.random();
      store.putChunks(ACME, req, List.of(new byte[] {1}), Duration.ofSeconds(30)).get();
      own.stop();
      long start = System.nanoTime();
      MeshException e = failure(store.getChunk(ACME, req, 0));
      double ms = (System.nanoTime() - start) / 1e6;
      assertEquals(ErrorCode.KV_STORE_UNAVAILABLE, e.code());
      assertTrue(ms < 5_000, "failed after " + ms + " ms");
      assertEquals(
          ErrorCode.KV_STORE_UNAVAILABLE,
          failure(store.putChunks(ACME, req, List.of(new byte[] {1}), Duration.ofSeconds(1)))
              .code());
    }
  }
}
