package dev.coemesh.gateway.grpc;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.gateway.error.GrpcErrors;
import dev.coemesh.gateway.grpc.v1.Finished;
import dev.coemesh.gateway.grpc.v1.GenerateResponse;
import dev.coemesh.gateway.grpc.v1.Token;
import dev.coemesh.gateway.limit.RateLimitHeaders;
import dev.coemesh.gateway.orchestrate.GenerationListener;
import io.grpc.stub.StreamObserver;
import java.util.Map;

/**
 * Streams a generation as {@code GenerateResponse} messages: one {@code Token} per generated token,
 * then one {@code Finished}; failures end the call with the mapped status.
 */
final class GrpcStreamListener implements GenerationListener {
  private final StreamObserver<GenerateResponse> out;
  private String model = "";
  private Map<String, String> limits = Map.of();

  GrpcStreamListener(StreamObserver<GenerateResponse> out) {
    this.out = out;
  }

  /** Sent as trailers of a refusal only; a served call's headers carry none. */
  @Override
  public void onRateLimits(RateLimitHeaders headers) {
    limits = headers.headers();
  }

  @Override
  public void onRouted(RequestId id, ExpertId expert, int promptTokens) {
    model = expert.value();
  }

  @Override
  public void onToken(TokenEvent.Token token) {
    send(
        GenerateResponse.newBuilder()
            .setModel(model)
            .setToken(
                Token.newBuilder()
                    .setIndex(token.index())
                    .setTokenId(token.tokenId())
                    .setText(token.text()))
            .build());
  }

  /** The gRPC API takes no tools, so no upstream is asked for tool calls; none arrive here. */
  @Override
  public void onToolCall(TokenEvent.ToolCallDelta call) {}

  @Override
  public void onFinished(FinishReason reason, Usage usage) {
    if (reason == FinishReason.CANCELLED) {
      return; // the client cancelled the call; it hears nothing more
    }
    send(
        GenerateResponse.newBuilder()
            .setModel(model)
            .setFinished(
                Finished.newBuilder()
                    .setFinishReason(reason.wireName())
                    .setUsage(
                        dev.coemesh.gateway.grpc.v1.Usage.newBuilder()
                            .setPromptTokens(usage.promptTokens())
                            .setCompletionTokens(usage.completionTokens())
                            .setTotalTokens(usage.totalTokens())))
            .build());
    try {
      out.onCompleted();
    } catch (RuntimeException cancelled) {
      // the call was cancelled meanwhile
    }
  }

  @Override
  public void onFailed(MeshException error, int retryAfterSeconds) {
    try {
      out.onError(GrpcErrors.toException(error, retryAfterSeconds, limits));
    } catch (RuntimeException cancelled) {
      // the call was cancelled meanwhile
    }
  }

  private void send(GenerateResponse message) {
    try {
      out.onNext(message);
    } catch (RuntimeException cancelled) {
      // grpc-java refuses messages on a cancelled call; the cancel handler stops the generation
    }
  }
}
