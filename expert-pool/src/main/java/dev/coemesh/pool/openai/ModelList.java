package dev.coemesh.pool.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The body of {@code GET /v1/models}. */
public record ModelList(String object, List<Model> data) {

  /** One model: an expert, or the routing alias {@code auto}. */
  public record Model(
      String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {}
}
