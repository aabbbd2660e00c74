package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.spi.ExpertBackend;
import java.util.Objects;

/**
 * Turns the client's {@code model} into the backend that serves it. A model naming a served expert
 * pins it; {@code "auto"} or no model goes to the routing step, which today is the configured
 * default expert (the CoE router library plugs in here); any other name is {@code MODEL_NOT_FOUND}.
 */
public final class ExpertResolver {
  private final ExpertDirectory experts;
  private final ExpertId defaultExpert;

  public ExpertResolver(ExpertDirectory experts, ExpertId defaultExpert) {
    this.experts = Objects.requireNonNull(experts, "experts");
    this.defaultExpert = Objects.requireNonNull(defaultExpert, "defaultExpert");
    if (experts.get(defaultExpert) == null) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID,
          "mesh.gateway.default-expert '" + defaultExpert + "' is not a configured expert");
    }
  }

  /**
   * @param model an expert id, or null to route
   * @param prompt the rendered prompt (what a classifier would look at)
   */
  public ExpertBackend resolve(String model, String prompt) {
    if (model == null) {
      return experts.get(defaultExpert);
    }
    ExpertBackend pinned = null;
    try {
      pinned = experts.get(new ExpertId(model));
    } catch (IllegalArgumentException notAnId) {
      // not even a well-formed expert id: reported as unknown below
    }
    if (pinned == null) {
      throw new MeshException(
          ErrorCode.MODEL_NOT_FOUND,
          "The model '"
              + truncate(model)
              + "' does not exist; use 'auto' or one of the ids listed by GET /v1/models",
          "model",
          null);
    }
    return pinned;
  }

  private static String truncate(String s) {
    return s.length() <= 128 ? s : s.substring(0, 128) + "...";
  }
}
