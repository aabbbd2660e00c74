package dev.coemesh.gateway.orchestrate;

/** A started request, as its protocol adapter holds it. */
public interface RequestHandle {
  /**
   * Cancels the request wherever it is: a queued request leaves its tenant's queue, a running one
   * is stopped in the engine (its KV blocks freed). The listener then gets {@code
   * onFinished(CANCELLED)} unless the request had already ended. Idempotent, any thread.
   */
  void cancel();
}
