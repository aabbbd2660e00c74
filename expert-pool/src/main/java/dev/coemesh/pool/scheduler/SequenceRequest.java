package dev.coemesh.pool.scheduler;

import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.request.SamplingParams;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One sequence to generate: prompt token ids (BOS included where the model wants it) and sampling.
 *
 * @param resumeTokens tokens already generated (and delivered) elsewhere: they are appended to the
 *     prompt, count toward {@code maxTokens}, and generation continues after them with indices
 *     starting at their count; used to resume a stream after a replica failed, and by the decode
 *     side of a disaggregated request (the prefill side sampled the first token)
 * @param importedKv KV of the whole prompt computed elsewhere (disaggregated prefill), imported
 *     instead of recomputed at first admission; null to compute it here
 * @param kvSink when set, receives the sequence's KV (every position it stored) when it completes,
 *     before its blocks are freed (the prefill side of a disaggregated request)
 * @param prefixRoot the seed of the sequence's block-hash chain ({@link BlockHashes#root}): the
 *     prefix-cache scope whose blocks it may reuse and into which it publishes its own (a tenant's
 *     scope, or {@link BlockHashes#ROOT} for a prefix the config shares); imported KV is published
 *     in it too
 */
public record SequenceRequest(
    int[] promptTokens,
    SamplingParams sampling,
    int[] resumeTokens,
    KvTensor importedKv,
    Consumer<KvTensor> kvSink,
    long prefixRoot) {
  public SequenceRequest {
    Objects.requireNonNull(promptTokens, "promptTokens");
    Objects.requireNonNull(sampling, "sampling");
    resumeTokens = resumeTokens == null ? new int[0] : resumeTokens.clone();
    promptTokens = promptTokens.clone();
    if (promptTokens.length == 0) {
      throw new IllegalArgumentException("prompt must hold at least one token");
    }
    if (importedKv != null && importedKv.tokens() != promptTokens.length) {
      throw new IllegalArgumentException(
          "imported KV covers "
              + importedKv.tokens()
              + " tokens, the prompt has "
              + promptTokens.length);
    }
    if (importedKv != null && resumeTokens.length == 0) {
      throw new IllegalArgumentException(
          "imported KV needs the first generated token: the next one is computed from it");
    }
  }

  /** A request in the shared prefix-cache scope {@link BlockHashes#ROOT}. */
  public SequenceRequest(
      int[] promptTokens,
      SamplingParams sampling,
      int[] resumeTokens,
      KvTensor importedKv,
      Consumer<KvTensor> kvSink) {
    this(promptTokens, sampling, resumeTokens, importedKv, kvSink, BlockHashes.ROOT);
  }

  /** A request in the shared prefix-cache scope {@link BlockHashes#ROOT}. */
  public SequenceRequest(int[] promptTokens, SamplingParams sampling, int[] resumeTokens) {
    this(promptTokens, sampling, resumeTokens, null, null);
  }

  /** A request in the shared prefix-cache scope {@link BlockHashes#ROOT}. */
  public SequenceRequest(int[] promptTokens, SamplingParams sampling) {
    this(promptTokens, sampling, null, null, null);
  }

  /** A request in the prefix-cache scope {@code prefixRoot}, without resume tokens or KV. */
  public SequenceRequest(int[] promptTokens, SamplingParams sampling, long prefixRoot) {
    this(promptTokens, sampling, null, null, null, prefixRoot);
  }
}
