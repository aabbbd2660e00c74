package dev.coemesh.gateway.limit;

import java.util.Locale;

/** Which of a tenant's limits refused a request. */
public enum LimitKind {
  /** {@code requests-per-minute}. */
  REQUESTS("requests"),
  /** {@code tokens-per-minute}. */
  TOKENS("tokens"),
  /** {@code max-concurrent} over all gateways (shared limits only). */
  CONCURRENCY("concurrent_requests"),
  /** The shared limit store is unreachable and the tenant fails closed. */
  STORE_UNAVAILABLE("server_error");

  private final String openAiType;

  LimitKind(String openAiType) {
    this.openAiType = openAiType;
  }

  /**
   * The OpenAI error {@code type} of the refusal: OpenAI's own {@code requests} and {@code tokens}
   * for its per-minute limits; {@code concurrent_requests} for the limit OpenAI does not have.
   */
  public String openAiType() {
    return openAiType;
  }

  /** The metric label and status-page key: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
