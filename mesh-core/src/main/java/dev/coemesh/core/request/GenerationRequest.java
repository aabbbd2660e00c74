package dev.coemesh.core.request;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.tenant.TenantId;
import java.time.Instant;
import java.util.Objects;

/**
 * One generation as the serving side sees it, after the gateway has authenticated, validated and
 * routed it: the prompt is already rendered to text (chat templates applied).
 *
 * @param deadline when the client stops waiting; work past it is cancelled
 */
public record GenerationRequest(
    RequestId id,
    TenantId tenant,
    ExpertId expert,
    String prompt,
    SamplingParams sampling,
    Instant deadline) {
  public GenerationRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(expert, "expert");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(sampling, "sampling");
    Objects.requireNonNull(deadline, "deadline");
  }
}
