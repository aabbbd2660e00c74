package dev.coemesh.kv.fetch;

import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.spi.KvCodec;
import dev.coemesh.core.spi.KvStore;
import dev.coemesh.kv.store.StoreFutures;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Fetches and decodes a handle's chunks in order, keeping the fetch of chunk i+1 in flight while
 * chunk i is decoded, so transfer and decode overlap. Chunks reach {@code onChunk} in order on the
 * calling thread.
 */
public final class PipelinedFetch {
  /** Time spent waiting for the store and decoding, for the request's timings. */
  public record Stats(long bytes, double waitMs, double decodeMs) {}

  private PipelinedFetch() {}

  public static Stats fetch(
      KvStore store, KvCodec codec, KvHandle handle, Duration timeout, Consumer<KvTensor> onChunk) {
    long bytes = 0;
    long waitNanos = 0;
    long decodeNanos = 0;
    if (handle.chunks() == 0) {
      return new Stats(0, 0, 0);
    }
    CompletableFuture<byte[]> next = store.getChunk(handle.tenant(), handle.request(), 0);
    for (int i = 0; i < handle.chunks(); i++) {
      long t0 = System.nanoTime();
      byte[] blob = StoreFutures.await(next, timeout, "KV fetch");
      waitNanos += System.nanoTime() - t0;
      if (i + 1 < handle.chunks()) {
        next = store.getChunk(handle.tenant(), handle.request(), i + 1);
      }
      long t1 = System.nanoTime();
      KvTensor chunk = codec.decode(blob, handle.model());
      decodeNanos += System.nanoTime() - t1;
      bytes += blob.length;
      onChunk.accept(chunk);
    }
    return new Stats(bytes, waitNanos / 1e6, decodeNanos / 1e6);
  }
}
