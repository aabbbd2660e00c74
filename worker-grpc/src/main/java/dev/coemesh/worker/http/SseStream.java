package dev.coemesh.worker.http;

import dev.coemesh.pool.openai.SseFrames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;

/**
 * An {@code text/event-stream} response. The status line and headers go out with the first event,
 * so that a request that fails before producing anything still gets a plain HTTP error.
 *
 * <p>Not thread-safe: one writer at a time (the generation listener's calls never overlap). Writes
 * after the client has gone are dropped.
 */
public final class SseStream {
  private final HttpServerResponse response;
  private final Map<String, String> headers;
  private boolean started;

  /**
   * @param headers extra response headers (e.g. {@code x-mesh-expert}), sent with the first event
   */
  public SseStream(HttpServerResponse response, Map<String, String> headers) {
    this.response = response;
    this.headers = Map.copyOf(headers);
  }

  /** Whether the status line and headers have been sent. */
  public boolean started() {
    return started;
  }

  public void event(String json) {
    write(SseFrames.data(json));
  }

  /** Sends {@code data: [DONE]} and ends the response. */
  public void done() {
    write(SseFrames.DONE);
    end();
  }

  /** Ends the response after the events sent so far. */
  public void end() {
    if (open()) {
      try {
        response.end();
      } catch (IllegalStateException gone) {
        // the connection closed under us; nothing to end
      }
    }
  }

  private void write(String frame) {
    if (!open()) {
      return;
    }
    try {
      if (!started) {
        started = true;
        response.setStatusCode(200);
        response.setChunked(true);
        response.putHeader("content-type", "text/event-stream; charset=utf-8");
        response.putHeader("cache-control", "no-cache");
        // tells nginx-style proxies not to buffer the stream
        response.putHeader("x-accel-buffering", "no");
        headers.forEach(response::putHeader);
      }
      response.write(Buffer.buffer(SseFrames.bytes(frame)));
    } catch (IllegalStateException gone) {
      // the client disconnected between the check and the write; its close handler cancels
    }
  }

  private boolean open() {
    return !response.ended() && !response.closed();
  }
}
