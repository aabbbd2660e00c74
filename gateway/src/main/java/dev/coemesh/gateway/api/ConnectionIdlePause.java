package dev.coemesh.gateway.api;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes {@code quarkus.http.idle-timeout} an idle timeout between requests, as Envoy's and nginx's
 * are, rather than a silence timeout that also cuts a request in flight. Vert.x closes a connection
 * on which no byte moved for the timeout, and a non-streaming generation (or one waiting in the
 * fair queue) moves no byte until it ends. So while a connection has requests in flight, its idle
 * handler ({@code "idle"} in the Netty pipeline) is taken out, and when the last one ends a fresh
 * one is put back. Half-open connections (a partial header), stalled uploads (a partial body) and
 * idle keep-alive connections are closed by the timeout; a request being served is bounded by its
 * own deadline.
 *
 * <p>This reaches into Vert.x's connection ({@link ConnectionBase#channel()}); where the connection
 * is not one, nothing changes ({@code ConnectionIdlePauseTest} runs it on the Vert.x the gateway
 * ships with, so an upgrade that breaks it fails there).
 */
final class ConnectionIdlePause {
  private static final String IDLE = "idle";
  private static final AttributeKey<AtomicInteger> IN_FLIGHT =
      AttributeKey.valueOf("coemesh.requestsInFlight");
  private static final AttributeKey<IdleStateHandler> PAUSED =
      AttributeKey.valueOf("coemesh.pausedIdleHandler");

  private ConnectionIdlePause() {}

  /** Called on the event loop once the request's body is read; undone when its response ends. */
  static void whileServing(RoutingContext ctx) {
    if (!(ctx.request().connection() instanceof ConnectionBase connection)) {
      return;
    }
    Channel channel = connection.channel();
    String before = connection.channelHandlerContext().name();
    AtomicInteger inFlight = channel.attr(IN_FLIGHT).setIfAbsent(new AtomicInteger());
    if (inFlight == null) {
      inFlight = channel.attr(IN_FLIGHT).get();
    }
    if (inFlight.incrementAndGet() == 1) {
      ChannelHandler idle = channel.pipeline().get(IDLE);
      if (idle instanceof IdleStateHandler handler) {
        channel.pipeline().remove(IDLE);
        channel.attr(PAUSED).set(handler);
      }
    }
    AtomicInteger count = inFlight;
    ctx.addEndHandler(done -> channel.eventLoop().execute(() -> ended(channel, count, before)));
  }

  private static void ended(Channel channel, AtomicInteger inFlight, String before) {
    if (inFlight.decrementAndGet() > 0) {
      return;
    }
    IdleStateHandler paused = channel.attr(PAUSED).getAndSet(null);
    ChannelPipeline pipeline = channel.pipeline();
    if (paused == null || !channel.isActive() || pipeline.get(IDLE) != null) {
      return;
    }
    IdleStateHandler fresh =
        new IdleStateHandler(
            paused.getReaderIdleTimeInMillis(),
            paused.getWriterIdleTimeInMillis(),
            paused.getAllIdleTimeInMillis(),
            TimeUnit.MILLISECONDS);
    if (pipeline.context(before) != null) {
      pipeline.addBefore(before, IDLE, fresh);
    }
  }
}
