package dev.coemesh.routerservice;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.router.RouteRequest;

/**
 * The REST request of {@code POST /v1/route}; unknown fields are rejected (see {@code
 * application.properties}). Only {@code request_id} is required; a prompt is needed unless a model
 * or category hint decides.
 */
public record RouteBody(
    @JsonProperty("request_id") String requestId,
    String prompt,
    String model,
    String category,
    String session,
    @JsonProperty("token_ids") int[] tokenIds,
    @JsonProperty("block_hashes") long[] blockHashes,
    @JsonProperty("prompt_tokens") Integer promptTokens) {

  /** The longest prompt accepted: the embedder reads at most a few hundred characters anyway. */
  static final int MAX_PROMPT_CHARS = 1 << 20;

  RouteRequest toRequest() {
    if (prompt != null && prompt.length() > MAX_PROMPT_CHARS) {
      throw new MeshException(
          ErrorCode.INVALID_REQUEST,
          "'prompt' is longer than " + MAX_PROMPT_CHARS + " characters",
          "prompt",
          null);
    }
    if (tokenIds != null) {
      for (int id : tokenIds) {
        if (id < 0) {
          throw new MeshException(
              ErrorCode.INVALID_REQUEST, "'token_ids' must be >= 0", "token_ids", null);
        }
      }
    }
    return new RouteRequest(
        requestId,
        prompt,
        model,
        category,
        session,
        tokenIds,
        blockHashes,
        promptTokens == null ? 0 : promptTokens);
  }
}
