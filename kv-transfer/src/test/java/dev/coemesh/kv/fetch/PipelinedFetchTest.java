package dev.coemesh.kv.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.spi.KvCodec;
import dev.coemesh.core.spi.KvStore;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.kv.codec.CacheGenCodec;
import dev.coemesh.kv.store.InMemoryKvStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PipelinedFetchTest {
  private static final TenantId TENANT = new TenantId("t");
  private static final ModelFingerprint MODEL = new ModelFingerprint(3);

  /** The real in-memory store, recording the order of reads; can leave one read unanswered. */
  private static final class RecordingStore implements KvStore {
    final InMemoryKvStore inner = new InMemoryKvStore(1 << 20);
    final List<String> events;
    final int neverAnswer;

    RecordingStore(List<String> events, int neverAnswer) {
      this.events = events;
      this.neverAnswer = neverAnswer;
    }

    @Override
    public CompletableFuture<Void> putChunks(
        TenantId tenant, RequestId request, List<byte[]> chunks, Duration ttl) {
      return inner.putChunks(tenant, request, chunks, ttl);
    }

    @Override
    public CompletableFuture<byte[]> getChunk(TenantId tenant, RequestId request, int index) {
      events.add("get " + index);
      return index == neverAnswer
          ? new CompletableFuture<>()
          : inner.getChunk(tenant, request, index);
    }

    @Override
    public CompletableFuture<Void> delete(TenantId tenant, RequestId request, int chunkCount) {
      return inner.delete(tenant, request, chunkCount);
    }

    @Override
    public CompletableFuture<Void> putTable(long id, byte[] table) {
      return inner.putTable(id, table);
    }

    @Override
    public CompletableFuture<byte[]> getTable(long id) {
      return inner.getTable(id);
    }

    @Override
    public void close() {}
  }

  private static KvCodec recording(KvCodec codec, List<String> events) {
    return new KvCodec() {
      int decoded;

      @Override
      public byte[] encode(KvTensor chunk, int level, ModelFingerprint model) {
        return codec.encode(chunk, level, model);
      }

      @Override
      public KvTensor decode(byte[] blob, ModelFingerprint expectedModel) {
        events.add("decode " + decoded++);
        return codec.decode(blob, expectedModel);
      }
    };
  }

  private static KvHandle stored(KvStore store, RequestId request, int chunks) throws Exception {
    CacheGenCodec codec = new CacheGenCodec();
    List<byte[]> blobs = new ArrayList<>();
    for (int i = 0; i < chunks; i++) {
      KvTensor kv = KvTensor.zeros(1, 4, 8);
      java.util.Arrays.fill(kv.data(), i + 1);
      blobs.add(codec.encode(kv, 0, MODEL));
    }
    store.putChunks(TENANT, request, blobs, Duration.ofMinutes(1)).get();
    return new KvHandle(MODEL, TENANT, request, 4 * chunks, chunks, 0, 0);
  }

  @Test
  void theNextChunkIsRequestedBeforeTheCurrentOneIsDecoded() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    RecordingStore store = new RecordingStore(events, -1);
    KvHandle handle = stored(store, RequestId.random(), 3);
    List<Float> firstValues = new ArrayList<>();
    PipelinedFetch.Stats stats =
        PipelinedFetch.fetch(
            store,
            recording(new CacheGenCodec(), events),
            handle,
            Duration.ofSeconds(2),
            kv -> firstValues.add(kv.data()[0]));
    assertEquals(List.of("get 0", "get 1", "decode 0", "get 2", "decode 1", "decode 2"), events);
    assertEquals(List.of(1f, 2f, 3f), firstValues);
    assertTrue(stats.bytes() > 0);
  }

  @Test
  void aMissingChunkIsATypedNotFound() throws Exception {
    RecordingStore store = new RecordingStore(new ArrayList<>(), -1);
    KvHandle stored = stored(store, RequestId.random(), 2);
    KvHandle claimsMore =
        new KvHandle(MODEL, TENANT, stored.request(), stored.tokens() + 4, 3, 0, 0);
    MeshException e =
        assertThrows(
            MeshException.class,
            () ->
                PipelinedFetch.fetch(
                    store, new CacheGenCodec(), claimsMore, Duration.ofSeconds(2), kv -> {}));
    assertEquals(ErrorCode.KV_NOT_FOUND, e.code());
  }

  @Test
  void aReadThatNeverAnswersFailsWithinTheTimeout() throws Exception {
    RecordingStore store = new RecordingStore(new ArrayList<>(), 1);
    KvHandle handle = stored(store, RequestId.random(), 2);
    long start = System.nanoTime();
    MeshException e =
        assertThrows(
            MeshException.class,
            () ->
                PipelinedFetch.fetch(
                    store, new CacheGenCodec(), handle, Duration.ofMillis(200), kv -> {}));
    double ms = (System.nanoTime() - start) / 1e6;
    assertEquals(ErrorCode.KV_STORE_UNAVAILABLE, e.code());
    assertTrue(ms >= 190 && ms < 2_000, "failed after " + ms + " ms");
  }
}
