package dev.coemesh.worker.client;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.worker.rpc.GrpcStatuses;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.v1.TokenReply;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.function.Consumer;

/**
 * A server-streaming call seen as the engine's event contract: tokens, then exactly one {@code
 * Finished} or {@code Failed}. A failed call becomes {@code Failed} with the mesh code (a dead
 * replica is {@code NO_HEALTHY_REPLICA}); cancelling ends the call and reports {@code
 * Finished(CANCELLED)}.
 */
final class RemoteStream<R>
    implements ClientResponseObserver<R, TokenReply>, ExpertBackend.Generation {
  private final Consumer<TokenEvent> sink;
  private volatile ClientCallStreamObserver<R> call;
  private volatile boolean cancelled;
  private boolean done;

  RemoteStream(Consumer<TokenEvent> sink) {
    this.sink = sink;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<R> requestStream) {
    this.call = requestStream;
  }

  @Override
  public synchronized void onNext(TokenReply reply) {
    if (done) {
      return;
    }
    switch (reply.getEventCase()) {
      case TOKEN -> sink.accept(WorkerMessages.token(reply.getToken()));
      case FINISHED -> {
        done = true;
        sink.accept(WorkerMessages.finished(reply.getFinished()));
      }
      case EVENT_NOT_SET -> {
        done = true;
        sink.accept(new TokenEvent.Failed(ErrorCode.INTERNAL, "empty reply from the worker"));
      }
    }
  }

  @Override
  public synchronized void onError(Throwable t) {
    if (done) {
      return;
    }
    done = true;
    sink.accept(terminal(t, cancelled));
  }

  /**
   * The client's last event for a call that ended with {@code t}: {@code Finished(CANCELLED)} when
   * the client cancelled it, else the failure the status maps to.
   */
  static TokenEvent terminal(Throwable t, boolean cancelled) {
    if (cancelled) {
      return new TokenEvent.Finished(
          FinishReason.CANCELLED,
          new Usage(0, 0, 0),
          RequestTimings.colocated(Double.NaN, Double.NaN, Double.NaN));
    }
    MeshException error = GrpcStatuses.toMesh(t);
    return new TokenEvent.Failed(error.code(), error.getMessage());
  }

  @Override
  public synchronized void onCompleted() {
    if (!done) {
      done = true;
      sink.accept(
          new TokenEvent.Failed(
              ErrorCode.NO_HEALTHY_REPLICA, "the worker ended the stream without finishing"));
    }
  }

  @Override
  public void cancel() {
    cancelled = true;
    ClientCallStreamObserver<R> c = call;
    if (c != null) {
      c.cancel("cancelled by the client", null);
    }
  }
}
