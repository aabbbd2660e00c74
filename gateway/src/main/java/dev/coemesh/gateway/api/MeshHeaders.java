package dev.coemesh.gateway.api;

/** Response headers the mesh adds to the OpenAI API. */
public final class MeshHeaders {
  /** The expert that served the request (the same value as the body's {@code model}). */
  public static final String EXPERT = "x-mesh-expert";

  /** The mesh's id of the request, for logs and traces. */
  public static final String REQUEST_ID = "x-request-id";

  private MeshHeaders() {}
}
