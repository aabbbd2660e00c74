package dev.coemesh.worker.client;

import dev.coemesh.worker.auth.MeshCallCredentials;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.trace.WorkerTracing;
import dev.coemesh.worker.v1.ColocatedGrpc;
import dev.coemesh.worker.v1.DecodeGrpc;
import dev.coemesh.worker.v1.HealthReply;
import dev.coemesh.worker.v1.HealthRequest;
import dev.coemesh.worker.v1.LoadReply;
import dev.coemesh.worker.v1.LoadRequest;
import dev.coemesh.worker.v1.PrefillGrpc;
import dev.coemesh.worker.v1.WorkerStatusGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The client boundary to one worker replica: one channel whose every call presents the mesh
 * credential (workers refuse calls without it), and stubs that carry the per-call deadline (so an
 * unreachable or stuck replica fails the call within it, and failover can act).
 */
public final class WorkerClient implements AutoCloseable {
  private final String name;
  private final ManagedChannel channel;
  private final Duration deadline;

  private WorkerClient(String name, ManagedChannel channel, Duration deadline) {
    this.name = name;
    this.channel = channel;
    this.deadline = deadline;
  }

  /**
   * A plaintext channel to {@code host:port} whose calls present {@code credential}; {@code
   * deadline} bounds each whole call. There is deliberately no way to connect without one.
   */
  public static WorkerClient connect(
      String host, int port, Duration deadline, MeshCredential credential) {
    return connect(host, port, deadline, credential, WorkerTracing.noop());
  }

  /** As above, and every call carries the caller's trace context to the worker. */
  public static WorkerClient connect(
      String host, int port, Duration deadline, MeshCredential credential, WorkerTracing tracing) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(host, port)
            .usePlaintext()
            .intercept(MeshCallCredentials.interceptor(credential), tracing.clientInterceptor())
            .build();
    return new WorkerClient(host + ":" + port, channel, deadline);
  }

  public String name() {
    return name;
  }

  PrefillGrpc.PrefillStub prefill() {
    return PrefillGrpc.newStub(channel).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  DecodeGrpc.DecodeStub decode() {
    return DecodeGrpc.newStub(channel).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  ColocatedGrpc.ColocatedStub colocated() {
    return ColocatedGrpc.newStub(channel)
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** The replica's load now (blocking, 5 s deadline). */
  public LoadReply load() {
    return load(Duration.ofSeconds(5));
  }

  /** The replica's load now (blocking, within {@code deadline}). */
  public LoadReply load(Duration deadline) {
    return WorkerStatusGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .load(LoadRequest.getDefaultInstance());
  }

  /** What the replica is: its role, model and fingerprint (blocking, within {@code deadline}). */
  public HealthReply health(Duration deadline) {
    return WorkerStatusGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .health(HealthRequest.getDefaultInstance());
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
