package dev.coemesh.gateway.testing;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.gateway.limit.RateLimitHeaders;
import dev.coemesh.gateway.orchestrate.GenerationListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Records what a request's listener receives; {@link #await} waits for the terminal call. */
public final class RecordingListener implements GenerationListener {
  public final List<TokenEvent.Token> tokens = new CopyOnWriteArrayList<>();
  public final List<TokenEvent.ToolCallDelta> toolCalls = new CopyOnWriteArrayList<>();
  public volatile ExpertId expert;
  public volatile int promptTokens = -1;
  public volatile FinishReason reason;
  public volatile Usage usage;
  public volatile MeshException error;
  public volatile int retryAfter;
  public volatile int terminalCalls;
  public volatile RateLimitHeaders limits;
  private final CountDownLatch done = new CountDownLatch(1);
  private final Consumer<TokenEvent.Token> onToken;

  public RecordingListener() {
    this(t -> {});
  }

  /**
   * @param onToken also called for every token (e.g. to cancel mid-stream)
   */
  public RecordingListener(Consumer<TokenEvent.Token> onToken) {
    this.onToken = onToken;
  }

  @Override
  public void onRateLimits(RateLimitHeaders headers) {
    this.limits = headers;
  }

  @Override
  public void onRouted(RequestId id, ExpertId expert, int promptTokens) {
    this.expert = expert;
    this.promptTokens = promptTokens;
  }

  @Override
  public void onToken(TokenEvent.Token token) {
    tokens.add(token);
    onToken.accept(token);
  }

  @Override
  public void onToolCall(TokenEvent.ToolCallDelta call) {
    toolCalls.add(call);
  }

  @Override
  public void onFinished(FinishReason reason, Usage usage) {
    this.reason = reason;
    this.usage = usage;
    terminalCalls++;
    done.countDown();
  }

  @Override
  public void onFailed(MeshException error, int retryAfterSeconds) {
    this.error = error;
    this.retryAfter = retryAfterSeconds;
    terminalCalls++;
    done.countDown();
  }

  public RecordingListener await() throws InterruptedException {
    if (!done.await(30, TimeUnit.SECONDS)) {
      throw new AssertionError("no terminal event within 30 s");
    }
    return this;
  }

  public boolean ended() {
    return done.getCount() == 0;
  }

  public String text() {
    StringBuilder sb = new StringBuilder();
    for (TokenEvent.Token t : tokens) {
      sb.append(t.text());
    }
    return sb.toString();
  }
}
