package dev.coemesh.worker.server;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.pool.worker.FallbackReason;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.trace.ServedSpan;
import dev.coemesh.worker.v1.TokenReply;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Writes an engine's token events to a server stream: one {@code TokenReply} per token, then the
 * {@code Finished} reply and the end of the call, or the error status of a failure. Events arrive
 * in order from one thread at a time, as the engine contract promises.
 */
final class TokenStream implements Consumer<TokenEvent> {
  private final Calls<TokenReply> call;
  private final Consumer<TokenEvent.Finished> onFinished;
  private final ServedSpan span;
  private volatile String fallback = "";

  TokenStream(Calls<TokenReply> call, Consumer<TokenEvent.Finished> onFinished, ServedSpan span) {
    this.call = call;
    this.onFinished = onFinished;
    this.span = span;
  }

  /** This request's KV was not used; reported in its {@code Finished} reply. */
  void fallback(FallbackReason reason) {
    fallback = reason.name().toLowerCase(Locale.ROOT);
    span.fallback(reason);
  }

  @Override
  public void accept(TokenEvent event) {
    switch (event) {
      case TokenEvent.Token t -> {
        span.token(t);
        call.send(WorkerMessages.reply(t));
      }
      case TokenEvent.Finished f -> {
        onFinished.accept(f);
        span.finished(f);
        if (f.reason() == FinishReason.CANCELLED && call.cancelled()) {
          return; // the client is gone and hears nothing more
        }
        call.send(WorkerMessages.reply(f, fallback));
        call.complete();
      }
      case TokenEvent.Failed f -> {
        span.failed(f.code().wireCode(), f.message());
        call.fail(new MeshException(f.code(), f.message()));
      }
      case TokenEvent.ToolCallDelta d -> {} // the engine makes no tool calls
    }
  }
}
