package dev.coemesh.router;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.BlockHashes;

/**
 * What the router needs of one request. The router never tokenizes: the caller passes the prompt's
 * token ids (the router chains their block hashes with the chosen expert's KV block size, exactly
 * as the engine does) or ready block hashes, or neither (then prefix affinity scores 0).
 *
 * @param prompt the text to classify: the last user message (as RouteLLM routes on)
 * @param model the request's {@code model}: an expert name (an override, when the config allows
 *     it), the config's auto name, or null
 * @param categoryHint a category chosen by the client (e.g. a header), or null
 * @param sessionKey a client session to keep on one replica, or null
 * @param tokenIds the whole prompt's token ids (empty when unknown) // [promptTokens]
 * @param blockHashes chained full-block hashes ({@code mesh-core} {@code BlockHashes}) when the
 *     caller computed them; empty otherwise
 * @param promptTokens prompt length in tokens (0 when unknown)
 * @param prefixRoot the seed the token ids' block hashes are chained from ({@code BlockHashes.root}
 *     of the request's prefix-cache scope, {@code BlockHashes.ROOT} for the shared scope)
 */
public record RouteRequest(
    String requestId,
    String prompt,
    String model,
    String categoryHint,
    String sessionKey,
    int[] tokenIds,
    long[] blockHashes,
    int promptTokens,
    long prefixRoot) {
  public RouteRequest {
    if (requestId == null || requestId.isBlank()) {
      throw new MeshException(ErrorCode.INVALID_REQUEST, "a routed request needs a request id");
    }
    prompt = prompt == null ? "" : prompt;
    tokenIds = tokenIds == null ? new int[0] : tokenIds.clone();
    blockHashes = blockHashes == null ? new long[0] : blockHashes.clone();
    if (tokenIds.length > 0 && blockHashes.length > 0) {
      throw new MeshException(
          ErrorCode.INVALID_REQUEST, "pass the prompt's token ids or its block hashes, not both");
    }
    if (promptTokens < 0) {
      throw new MeshException(ErrorCode.INVALID_REQUEST, "prompt tokens must be >= 0");
    }
    if (tokenIds.length > 0 && promptTokens == 0) {
      promptTokens = tokenIds.length;
    }
    if (promptTokens < tokenIds.length) {
      throw new MeshException(
          ErrorCode.INVALID_REQUEST,
          "prompt tokens (" + promptTokens + ") fewer than token ids (" + tokenIds.length + ")");
    }
  }

  /** A request whose token ids chain from the shared scope's root. */
  public RouteRequest(
      String requestId,
      String prompt,
      String model,
      String categoryHint,
      String sessionKey,
      int[] tokenIds,
      long[] blockHashes,
      int promptTokens) {
    this(
        requestId,
        prompt,
        model,
        categoryHint,
        sessionKey,
        tokenIds,
        blockHashes,
        promptTokens,
        BlockHashes.ROOT);
  }

  /** A request to classify and route by its prompt alone. */
  public static RouteRequest of(String requestId, String prompt) {
    return new RouteRequest(requestId, prompt, null, null, null, null, null, 0);
  }

  public RouteRequest withModel(String value) {
    return new RouteRequest(
        requestId,
        prompt,
        value,
        categoryHint,
        sessionKey,
        tokenIds,
        blockHashes,
        promptTokens,
        prefixRoot);
  }

  public RouteRequest withCategoryHint(String value) {
    return new RouteRequest(
        requestId,
        prompt,
        model,
        value,
        sessionKey,
        tokenIds,
        blockHashes,
        promptTokens,
        prefixRoot);
  }

  public RouteRequest withSession(String value) {
    return new RouteRequest(
        requestId,
        prompt,
        model,
        categoryHint,
        value,
        tokenIds,
        blockHashes,
        promptTokens,
        prefixRoot);
  }

  /** The prompt's token ids (sets the prompt length to their count). */
  public RouteRequest withTokens(int[] ids) {
    return new RouteRequest(
        requestId, prompt, model, categoryHint, sessionKey, ids, null, ids.length, prefixRoot);
  }

  /** The prompt's token ids, whose block hashes chain from {@code root} (the cache scope's). */
  public RouteRequest withTokens(int[] ids, long root) {
    return new RouteRequest(
        requestId, prompt, model, categoryHint, sessionKey, ids, null, ids.length, root);
  }

  /** Block hashes the caller chained itself, and the prompt's length in tokens. */
  public RouteRequest withBlockHashes(long[] hashes, int tokens) {
    return new RouteRequest(
        requestId, prompt, model, categoryHint, sessionKey, null, hashes, tokens, prefixRoot);
  }
}
