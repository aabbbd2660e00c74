package dev.coemesh.pool.worker;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.spi.KvCodec;
import dev.coemesh.core.spi.KvStore;
import dev.coemesh.kv.fetch.PipelinedFetch;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.scheduler.SequenceRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The decode half of a disaggregated request: pull the KV chunks (fetch of chunk i+1 overlapping
 * the decode of chunk i), import them into the continuous batch and stream tokens after the first
 * one. If the KV is missing, corrupt or the store is down, the prompt is recomputed from its tokens
 * instead (CacheGen's text level) and the reason counted. The KV is deleted once consumed or
 * cancelled; its TTL is the backstop.
 */
public final class DecodeWorker implements AutoCloseable {
  private final ContinuousBatcher batcher;
  private final KvCodec codec;
  private final KvStore store;
  private final Duration fetchTimeout;
  private final ExecutorService fetchers;
  private final Map<FallbackReason, AtomicLong> fallbacks = new EnumMap<>(FallbackReason.class);

  public DecodeWorker(
      ContinuousBatcher batcher, KvCodec codec, KvStore store, Duration fetchTimeout) {
    this.batcher = batcher;
    this.codec = codec;
    this.store = store;
    this.fetchTimeout = fetchTimeout;
    this.fetchers = Executors.newVirtualThreadPerTaskExecutor();
    for (FallbackReason reason : FallbackReason.values()) {
      fallbacks.put(reason, new AtomicLong());
    }
  }

  public long fallbacks(FallbackReason reason) {
    return fallbacks.get(reason).get();
  }

  /**
   * Continues {@code request} after {@code prefill}; events after the first token go to {@code
   * sink}.
   */
  public ExpertBackend.Generation decode(
      GenerationRequest request, PrefillResult prefill, Consumer<TokenEvent> sink) {
    return decode(request, prefill, new int[] {prefill.first().tokenId()}, sink, reason -> {});
  }

  /**
   * Continues {@code request} after {@code resumeTokens} (the first token from prefill, plus any
   * delivered by a decode replica that failed since); token indices start at their count. {@code
   * onFallback} hears, before any token, why this request's KV was not used.
   */
  public ExpertBackend.Generation decode(
      GenerationRequest request,
      PrefillResult prefill,
      int[] resumeTokens,
      Consumer<TokenEvent> sink,
      Consumer<FallbackReason> onFallback) {
    if (resumeTokens.length == 0) {
      throw new IllegalArgumentException("decode resumes after at least the first token");
    }
    Objects.requireNonNull(prefill.kv(), "the prefill ended the request: nothing to decode");
    int[] resume = resumeTokens.clone();
    AtomicBoolean cancelled = new AtomicBoolean();
    AtomicReference<ContinuousBatcher.Handle> running = new AtomicReference<>();
    KvHandle handle = prefill.handle();
    fetchers.submit(
        () -> {
          KvTensor kv = null;
          double waitMs = Double.NaN;
          double decodeMs = Double.NaN;
          if (prefill.kv() instanceof KvHandoff.Recompute r) {
            fallback(r.reason(), onFallback);
          } else {
            try {
              List<KvTensor> chunks = new ArrayList<>();
              PipelinedFetch.Stats stats =
                  PipelinedFetch.fetch(store, codec, handle, fetchTimeout, chunks::add);
              waitMs = stats.waitMs();
              decodeMs = stats.decodeMs();
              KvTensor joined =
                  KvChunks.join(
                      chunks,
                      chunks.isEmpty() ? 1 : chunks.getFirst().layers(),
                      chunks.isEmpty() ? 1 : chunks.getFirst().kvDim());
              kv = joined.tokens() == prefill.promptTokens().length ? joined : null;
              if (kv == null) {
                fallback(FallbackReason.KV_CORRUPT, onFallback);
              }
            } catch (MeshException e) {
              fallback(reasonOf(e), onFallback);
            }
          }
          if (cancelled.get()) {
            release(handle);
            sink.accept(
                new TokenEvent.Finished(
                    FinishReason.CANCELLED,
                    new Usage(prefill.promptTokens().length, resume.length, 0),
                    RequestTimings.colocated(Double.NaN, Double.NaN, Double.NaN)));
            return;
          }
          double transferMs = waitMs;
          double kvDecodeMs = decodeMs;
          try {
            running.set(
                batcher.submit(
                    new SequenceRequest(
                        prefill.promptTokens(),
                        request.sampling(),
                        resume,
                        kv,
                        null,
                        request.prefixRoot()),
                    event -> {
                      if (event instanceof TokenEvent.Token) {
                        sink.accept(event);
                        return;
                      }
                      release(handle);
                      sink.accept(
                          event instanceof TokenEvent.Finished f
                              ? new TokenEvent.Finished(
                                  f.reason(),
                                  f.usage(),
                                  new RequestTimings(
                                      f.timings().queueMs(),
                                      f.timings().ttftMs(),
                                      f.timings().tpotMs(),
                                      prefill.encodeMs(),
                                      sum(prefill.storeMs(), transferMs),
                                      kvDecodeMs))
                              : event);
                    }));
            if (cancelled.get()) {
              running.get().cancel();
            }
          } catch (MeshException e) {
            release(handle);
            sink.accept(new TokenEvent.Failed(e.code(), e.getMessage()));
          }
        });
    return () -> {
      cancelled.set(true);
      ContinuousBatcher.Handle h = running.get();
      if (h != null) {
        h.cancel();
      }
    };
  }

  /** Store write (known on the prefill side only) plus read: NaN only when neither ran here. */
  private static double sum(double storeMs, double readMs) {
    if (Double.isNaN(storeMs)) {
      return readMs;
    }
    return Double.isNaN(readMs) ? storeMs : storeMs + readMs;
  }

  private void fallback(FallbackReason reason, Consumer<FallbackReason> onFallback) {
    fallbacks.get(reason).incrementAndGet();
    onFallback.accept(reason);
  }

  private static FallbackReason reasonOf(MeshException e) {
    return switch (e.code()) {
      case KV_NOT_FOUND -> FallbackReason.KV_MISSING;
      case KV_CORRUPT -> FallbackReason.KV_CORRUPT;
      default -> FallbackReason.STORE_UNAVAILABLE;
    };
  }

  private void release(KvHandle handle) {
    if (handle != null) {
      store.delete(handle.tenant(), handle.request(), handle.chunks());
    }
  }

  @Override
  public void close() {
    fetchers.shutdown();
  }
}
