package dev.coemesh.pool.worker;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.spi.KvCodec;
import dev.coemesh.core.spi.KvStore;
import dev.coemesh.kv.codec.CodecLevel;
import dev.coemesh.kv.control.HandoffController;
import dev.coemesh.kv.control.LevelController;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.scheduler.SequenceRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32C;

/**
 * The prefill half of a disaggregated request: tokenize, prefill in the continuous batcher, sample
 * the first token, then hand the prompt's KV over as the {@link HandoffController} decides: encode
 * it at the chosen level in token chunks and write them to the KV store under the tenant's keys, or
 * (text) write nothing and let decode recompute the prompt. The controller hears this worker's
 * prefill times, encoded sizes and store writes. The result carries the first token and the {@link
 * KvHandoff}.
 */
public final class PrefillWorker {
  private final ContinuousBatcher batcher;
  private final KvCodec codec;
  private final KvStore store;
  private final HandoffController handoff;
  private final int chunkTokens;
  private final Duration ttl;

  public PrefillWorker(
      ContinuousBatcher batcher,
      KvCodec codec,
      KvStore store,
      HandoffController handoff,
      int chunkTokens,
      Duration ttl) {
    if (chunkTokens < 1) {
      throw new IllegalArgumentException("chunk tokens must be >= 1");
    }
    this.batcher = batcher;
    this.codec = codec;
    this.store = store;
    this.handoff = handoff;
    this.chunkTokens = chunkTokens;
    this.ttl = ttl;
  }

  /** The level-or-text decisions of this worker, with their counts. */
  public HandoffController handoff() {
    return handoff;
  }

  /**
   * A prefill in flight.
   *
   * @param result completes with the first token and the KV handle; after a cancel, with a {@code
   *     Finished(CANCELLED)} end and no handle
   * @param generation cancels the engine sequence, or deletes the KV when it was already written
   */
  public record Prefilling(
      CompletableFuture<PrefillResult> result, ExpertBackend.Generation generation) {}

  public CompletableFuture<PrefillResult> prefill(GenerationRequest request) {
    return start(request, batcher.engine().model().tokenizer().prompt(request)).result();
  }

  /** Prefills {@code prompt} (already tokenized, BOS included); {@code request.prompt()} unused. */
  public Prefilling start(GenerationRequest request, int[] prompt) {
    SamplingParams s = request.sampling();
    SamplingParams firstOnly =
        new SamplingParams(
            s.temperature(),
            s.topK(),
            s.topP(),
            s.seed(),
            1,
            s.stopTokenIds(),
            s.stopStrings(),
            s.topLogprobs());
    CompletableFuture<KvTensor> kv = new CompletableFuture<>();
    CompletableFuture<TokenEvent> end = new CompletableFuture<>();
    TokenEvent.Token[] first = new TokenEvent.Token[1];
    long start = System.nanoTime();
    AtomicBoolean cancelled = new AtomicBoolean();
    ContinuousBatcher.Handle sequence =
        batcher.submit(
            new SequenceRequest(prompt, firstOnly, null, null, kv::complete, request.prefixRoot()),
            event -> {
              switch (event) {
                case TokenEvent.Token t -> first[0] = t;
                case TokenEvent.Finished f -> end.complete(f);
                case TokenEvent.Failed f -> end.complete(f);
                case TokenEvent.ToolCallDelta d -> {} // the engine makes no tool calls
              }
            });
    CompletableFuture<PrefillResult> result =
        end.thenCompose(
            terminal -> {
              double prefillMs = (System.nanoTime() - start) / 1e6;
              if (terminal instanceof TokenEvent.Failed f) {
                return CompletableFuture.failedFuture(new MeshException(f.code(), f.message()));
              }
              double queueMs = ((TokenEvent.Finished) terminal).timings().queueMs();
              boolean ended =
                  first[0] == null
                      || s.maxTokens() == 1
                      || ((TokenEvent.Finished) terminal).reason() != FinishReason.LENGTH;
              if (ended) {
                return CompletableFuture.completedFuture(
                    new PrefillResult(prompt, first[0], terminal, null, queueMs, prefillMs, 0, 0));
              }
              KvTensor promptKv =
                  kv.join(); // completed on the scheduler thread before the terminal event
              long values = promptKv.elementCount();
              handoff.observePrefill(prompt.length, prefillMs - queueMs);
              CodecLevel level;
              switch (handoff.decide(promptKv.tokens(), values)) {
                case LevelController.Decision.Encode e -> level = e.level();
                case LevelController.Decision.Text t -> {
                  return CompletableFuture.completedFuture(
                      new PrefillResult(
                          prompt,
                          first[0],
                          null,
                          new KvHandoff.Recompute(FallbackReason.PREDICTED_SLOWER),
                          queueMs,
                          prefillMs,
                          0,
                          0));
                }
              }
              long e0 = System.nanoTime();
              List<byte[]> blobs = new ArrayList<>();
              CRC32C crc = new CRC32C();
              long bytes = 0;
              for (KvTensor chunk : KvChunks.split(promptKv, chunkTokens)) {
                byte[] blob = codec.encode(chunk, level.id(), batcher.engine().fingerprint());
                crc.update(blob);
                blobs.add(blob);
                bytes += blob.length;
              }
              double encodeMs = (System.nanoTime() - e0) / 1e6;
              handoff.observeEncode(level, values, bytes, encodeMs);
              long written = bytes;
              KvHandle handle =
                  new KvHandle(
                      batcher.engine().fingerprint(),
                      request.tenant(),
                      request.id(),
                      promptKv.tokens(),
                      blobs.size(),
                      level.id(),
                      (int) crc.getValue());
              long w0 = System.nanoTime();
              return store
                  .putChunks(request.tenant(), request.id(), blobs, ttl)
                  .handle(
                      (ignored, error) -> {
                        double storeMs = (System.nanoTime() - w0) / 1e6;
                        if (error == null && cancelled.get()) {
                          // cancelled while encoding or writing: nobody will consume this KV
                          store.delete(request.tenant(), request.id(), blobs.size());
                          return new PrefillResult(
                              prompt,
                              first[0],
                              new TokenEvent.Finished(
                                  FinishReason.CANCELLED,
                                  new Usage(prompt.length, 1, 0),
                                  RequestTimings.colocated(Double.NaN, Double.NaN, Double.NaN)),
                              null,
                              queueMs,
                              prefillMs,
                              encodeMs,
                              storeMs);
                        }
                        if (error == null) {
                          handoff.observeTransfer(written, storeMs);
                          return new PrefillResult(
                              prompt,
                              first[0],
                              null,
                              new KvHandoff.Stored(handle, values, written),
                              queueMs,
                              prefillMs,
                              encodeMs,
                              storeMs);
                        }
                        // the store failed: no handle, the decode side recomputes (its TTL cleans
                        // any chunk that did land)
                        store.delete(request.tenant(), request.id(), blobs.size());
                        return new PrefillResult(
                            prompt,
                            first[0],
                            null,
                            new KvHandoff.Recompute(FallbackReason.STORE_UNAVAILABLE),
                            queueMs,
                            prefillMs,
                            encodeMs,
                            storeMs);
                      });
            });
    return new Prefilling(
        result,
        () -> {
          cancelled.set(true);
          sequence.cancel();
        });
  }
}
