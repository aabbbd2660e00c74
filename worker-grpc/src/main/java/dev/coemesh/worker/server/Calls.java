package dev.coemesh.worker.server;

import dev.coemesh.worker.rpc.GrpcStatuses;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * One server call's lifecycle: its deadline, its cancellation (client cancel, deadline passed,
 * connection lost) and writes that tolerate a call already gone. Create it on the handler's thread.
 */
final class Calls<T> {
  /** The work bound of a call that brought no deadline. */
  static final Duration NO_DEADLINE_BOUND = Duration.ofMinutes(10);

  private final StreamObserver<T> out;
  private final Context context = Context.current();

  Calls(StreamObserver<T> out) {
    this.out = out;
  }

  Instant deadline() {
    Deadline d = context.getDeadline();
    return d == null
        ? Instant.now().plus(NO_DEADLINE_BOUND)
        : Instant.now().plusNanos(d.timeRemaining(TimeUnit.NANOSECONDS));
  }

  /** Runs {@code onCancel} once when the call is cancelled; must run during the handler call. */
  void onCancel(Runnable onCancel) {
    if (out instanceof ServerCallStreamObserver<T> call) {
      call.setOnCancelHandler(onCancel);
    } else {
      context.addListener(ctx -> onCancel.run(), Runnable::run);
    }
  }

  boolean cancelled() {
    return out instanceof ServerCallStreamObserver<T> call
        ? call.isCancelled()
        : context.isCancelled();
  }

  void send(T message) {
    try {
      out.onNext(message);
    } catch (RuntimeException gone) {
      // the call was cancelled meanwhile; its cancel handler stops the work
    }
  }

  void complete() {
    try {
      out.onCompleted();
    } catch (RuntimeException gone) {
      // the call was cancelled meanwhile
    }
  }

  void fail(Throwable error) {
    try {
      out.onError(GrpcStatuses.toStatus(error));
    } catch (RuntimeException gone) {
      // the call was cancelled meanwhile
    }
  }
}
