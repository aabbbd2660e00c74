package dev.coemesh.core.request;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.tenant.TenantId;
import java.time.Instant;
import java.util.Objects;

/**
 * One generation as the serving side sees it, after the gateway has authenticated, validated and
 * routed it: the prompt is already rendered to text (chat templates applied) and, for the mesh's
 * own engines, tokenized once by the gateway with the expert's tokenizer.
 *
 * @param prompt the rendered prompt (upstream experts complete the text)
 * @param promptTokens the prompt's token ids (BOS included) as the expert's tokenizer gave them;
 *     empty when not tokenized (an upstream expert, or a caller that leaves it to the backend) //
 *     [promptTokens]
 * @param prefixRoot the seed of the prompt's block-hash chain ({@link BlockHashes#root}): the
 *     prefix-cache scope this request may reuse and fill
 * @param deadline when the client stops waiting; work past it is cancelled
 * @param chat the conversation as the client sent it, for an upstream expert that applies its own
 *     chat template; null for a text prompt (and ignored by the mesh's own engines)
 */
public record GenerationRequest(
    RequestId id,
    TenantId tenant,
    ExpertId expert,
    String prompt,
    int[] promptTokens,
    long prefixRoot,
    SamplingParams sampling,
    Instant deadline,
    ChatBody chat) {
  public GenerationRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(expert, "expert");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(sampling, "sampling");
    Objects.requireNonNull(deadline, "deadline");
    promptTokens = promptTokens == null ? new int[0] : promptTokens.clone();
  }

  /** A request without a client conversation (a text prompt, or one the mesh's engines serve). */
  public GenerationRequest(
      RequestId id,
      TenantId tenant,
      ExpertId expert,
      String prompt,
      int[] promptTokens,
      long prefixRoot,
      SamplingParams sampling,
      Instant deadline) {
    this(id, tenant, expert, prompt, promptTokens, prefixRoot, sampling, deadline, null);
  }

  /** A request whose prompt the backend tokenizes, in its tenant's prefix-cache scope. */
  public GenerationRequest(
      RequestId id,
      TenantId tenant,
      ExpertId expert,
      String prompt,
      SamplingParams sampling,
      Instant deadline) {
    this(
        id,
        tenant,
        expert,
        prompt,
        null,
        BlockHashes.root(tenant.value()),
        sampling,
        deadline,
        null);
  }

  /** Whether the gateway already tokenized the prompt. */
  public boolean tokenized() {
    return promptTokens.length > 0;
  }
}
