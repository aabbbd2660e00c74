package dev.coemesh.gateway.api;

/** Headers the mesh adds to the OpenAI API. */
public final class MeshHeaders {
  /** Response: the expert that served the request (the same value as the body's {@code model}). */
  public static final String EXPERT = "x-mesh-expert";

  /** Response: the mesh's id of the request, for logs and traces. */
  public static final String REQUEST_ID = "x-request-id";

  /** Request: a category for the router instead of the classifier's (when the config allows). */
  public static final String CATEGORY = "x-mesh-category";

  /** Request: a client session the router keeps on one replica. */
  public static final String SESSION = "x-mesh-session";

  private MeshHeaders() {}
}
