package dev.coemesh.gateway.serve;

import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.client.WorkerClient;
import dev.coemesh.worker.trace.WorkerTracing;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One gRPC channel per worker endpoint, opened on first use and shared by every request (and every
 * remote pool) that goes there; grpc-java reconnects a channel by itself after a worker restarts.
 */
public final class WorkerChannels implements AutoCloseable {
  private final Map<String, WorkerClient> clients = new ConcurrentHashMap<>();
  private final Duration callDeadline;
  private final Supplier<MeshCredential> credential;
  private final WorkerTracing tracing;

  /**
   * @param callDeadline the longest a worker call may take (a request's own deadline is shorter)
   * @param credential the mesh credential the workers require, read when the first channel opens
   *     (an embedded mesh never opens one, so needs none)
   */
  public WorkerChannels(Duration callDeadline, Supplier<MeshCredential> credential) {
    this(callDeadline, credential, WorkerTracing.noop());
  }

  /** As above; every call carries the caller's trace context, and pools trace their calls. */
  public WorkerChannels(
      Duration callDeadline, Supplier<MeshCredential> credential, WorkerTracing tracing) {
    this.callDeadline = callDeadline;
    this.credential = credential;
    this.tracing = tracing;
  }

  /** How the calls over these channels are traced. */
  public WorkerTracing tracing() {
    return tracing;
  }

  /** The client of {@code endpoint} ({@code host:port}). */
  public WorkerClient client(String endpoint) {
    return clients.computeIfAbsent(endpoint, this::connect);
  }

  private WorkerClient connect(String endpoint) {
    int colon = endpoint.lastIndexOf(':');
    if (colon < 1) {
      throw new IllegalArgumentException("a worker endpoint is host:port, was " + endpoint);
    }
    return WorkerClient.connect(
        endpoint.substring(0, colon),
        Integer.parseInt(endpoint.substring(colon + 1)),
        callDeadline,
        credential.get(),
        tracing);
  }

  @Override
  public void close() {
    clients.values().forEach(WorkerClient::close);
    clients.clear();
  }
}
