package dev.coemesh.gateway.api;

import dev.coemesh.gateway.auth.TenantTable;

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

  /**
   * Request: {@code interactive} or {@code batch}; batch work yields to the tenant's interactive
   * work. Wins over {@link #OBJECTIVE}; without either, the tenant's default (interactive).
   */
  public static final String PRIORITY = TenantTable.PRIORITY_HEADER;

  /**
   * Request: an inference objective of the tenants file (Gateway API Inference Extension's header);
   * its priority below 0 means batch. {@code interactive} and {@code batch} are always defined.
   */
  public static final String OBJECTIVE = TenantTable.OBJECTIVE_HEADER;

  private MeshHeaders() {}
}
