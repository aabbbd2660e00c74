package dev.coemesh.worker.server;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.v1.RequestRef;
import dev.coemesh.worker.v1.Sampling;
import dev.coemesh.worker.v1.TokenIds;
import java.time.Instant;

/** Reads the parts of worker requests that every handler shares, validating as it goes. */
final class Requests {
  /** The expert a worker serves is its model; the id is informational on this side. */
  private static final ExpertId EXPERT = new ExpertId("worker");

  private Requests() {}

  /**
   * The request as the engine sees it, in its prefix-cache scope; the prompt is read apart ({@link
   * #prompt}).
   */
  static GenerationRequest generation(
      RequestRef ref, boolean hasSampling, Sampling sampling, Instant deadline) {
    if (!hasSampling) {
      throw MeshException.invalid("sampling", "sampling is required (max_tokens at least)");
    }
    SamplingParams params = WorkerMessages.sampling(sampling);
    TenantId tenant = WorkerMessages.tenant(ref);
    return new GenerationRequest(
        WorkerMessages.requestId(ref),
        tenant,
        EXPERT,
        "",
        null,
        WorkerMessages.prefixRoot(ref, tenant),
        params,
        deadline);
  }

  /** A prompt given as text (tokenized with BOS) or as token ids; exactly one must be set. */
  static int[] prompt(WorkerRuntime runtime, boolean isText, String text, TokenIds ids) {
    if (isText) {
      return runtime.model().tokenizer().encode(text, true);
    }
    if (ids == null) {
      throw MeshException.invalid("prompt", "one of text and token_ids is required");
    }
    return nonEmpty(runtime, ids.getIdsList(), "token_ids");
  }

  static int[] nonEmpty(WorkerRuntime runtime, java.util.List<Integer> ids, String param) {
    if (ids.isEmpty()) {
      throw MeshException.invalid(param, param + " must not be empty");
    }
    return WorkerMessages.tokenIds(ids, runtime.model().config().vocabSize(), param);
  }
}
