package dev.coemesh.worker.server;

import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.worker.rpc.GrpcStatuses;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

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

  /**
   * The generation this call runs, cancelled when the call is: registers the cancel handler now,
   * and {@link Started#started} cancels a generation that starts after the call was cancelled.
   */
  Started cancelsGeneration() {
    Started holder = new Started();
    onCancel(holder::cancel);
    return holder;
  }

  /** A generation bound to a call's cancellation. */
  static final class Started {
    private static final ExpertBackend.Generation CANCELLED = () -> {};
    private final AtomicReference<ExpertBackend.Generation> running = new AtomicReference<>();

    void started(ExpertBackend.Generation generation) {
      if (!running.compareAndSet(null, generation)) {
        generation.cancel(); // the call was cancelled while it started
      }
    }

    private void cancel() {
      ExpertBackend.Generation g = running.getAndSet(CANCELLED);
      if (g != null) {
        g.cancel();
      }
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
