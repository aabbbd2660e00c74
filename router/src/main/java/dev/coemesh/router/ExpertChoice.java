package dev.coemesh.router;

import dev.coemesh.core.expert.ExpertId;
import java.util.Objects;

/**
 * Step 1 of a routing decision: the expert, and why. The caller tokenizes the prompt with this
 * expert's tokenizer, then asks {@link Router#place} for the replicas.
 *
 * @param category the classifier's or the hint's category; null when an explicit model chose
 * @param confidence the category's probability in [0, 1]; 1 for overrides
 * @param tier strong or weak for a cost/quality route, null otherwise
 * @param winRate the estimated strong win rate of a cost/quality route, NaN otherwise
 */
public record ExpertChoice(
    String category,
    double confidence,
    RouteReason reason,
    ExpertId expert,
    RouteDecision.Tier tier,
    double winRate) {
  public ExpertChoice {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(expert, "expert");
  }
}
