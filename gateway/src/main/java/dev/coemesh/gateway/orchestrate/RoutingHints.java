package dev.coemesh.gateway.orchestrate;

/**
 * What a client may tell the router besides the prompt.
 *
 * @param category a category that replaces the classifier's (when the routing config allows hints),
 *     or null
 * @param session a client session kept on one replica (session affinity), or null
 */
public record RoutingHints(String category, String session) {
  public static final RoutingHints NONE = new RoutingHints(null, null);

  public RoutingHints {
    category = blankToNull(category);
    session = blankToNull(session);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
