package dev.coemesh.gateway.serve;

import dev.coemesh.worker.client.WorkerClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One gRPC channel per worker endpoint, opened on first use and shared by every request (and every
 * remote pool) that goes there; grpc-java reconnects a channel by itself after a worker restarts.
 */
public final class WorkerChannels implements AutoCloseable {
  private final Map<String, WorkerClient> clients = new ConcurrentHashMap<>();
  private final Duration callDeadline;

  /**
   * @param callDeadline the longest a worker call may take (a request's own deadline is shorter)
   */
  public WorkerChannels(Duration callDeadline) {
    this.callDeadline = callDeadline;
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
        callDeadline);
  }

  @Override
  public void close() {
    clients.values().forEach(WorkerClient::close);
    clients.clear();
  }
}
