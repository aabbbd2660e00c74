package dev.coemesh.worker.client;

import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.core.request.TokenEvent;
import java.util.function.Consumer;

/**
 * Measures a request as its client sees it, DistServe style: TTFT from the call to the first token
 * received, TPOT over the tokens received after it (so KV transfer and failover gaps count), and
 * merges in the stage times the workers reported. Passes every event on to the client.
 */
final class ClientTimings implements Consumer<TokenEvent> {
  private final Consumer<TokenEvent> client;
  private final long startNanos = System.nanoTime();
  private long firstNanos;
  private long lastNanos;
  private int tokens;
  private volatile RequestTimings prefill;

  ClientTimings(Consumer<TokenEvent> client) {
    this.client = client;
  }

  /** Stage times of the prefill replica, merged into the final timings. */
  void prefill(RequestTimings timings) {
    prefill = timings;
  }

  @Override
  public void accept(TokenEvent event) {
    switch (event) {
      case TokenEvent.Token t -> {
        long now = System.nanoTime();
        if (tokens++ == 0) {
          firstNanos = now;
        }
        lastNanos = now;
        client.accept(t);
      }
      case TokenEvent.Finished f ->
          client.accept(new TokenEvent.Finished(f.reason(), f.usage(), merged(f.timings())));
      case TokenEvent.Failed f -> client.accept(f);
      case TokenEvent.ToolCallDelta d -> client.accept(d);
    }
  }

  private RequestTimings merged(RequestTimings served) {
    double ttft = tokens == 0 ? Double.NaN : (firstNanos - startNanos) / 1e6;
    double tpot = RequestTimings.tpot(firstNanos, lastNanos, tokens);
    RequestTimings p = prefill;
    if (p == null) {
      return new RequestTimings(
          served.queueMs(),
          ttft,
          tpot,
          served.kvEncodeMs(),
          served.kvTransferMs(),
          served.kvDecodeMs());
    }
    return new RequestTimings(
        p.queueMs(),
        ttft,
        tpot,
        p.kvEncodeMs(),
        sum(p.kvTransferMs(), served.kvTransferMs()),
        served.kvDecodeMs());
  }

  private static double sum(double a, double b) {
    return Double.isNaN(a) ? b : Double.isNaN(b) ? a : a + b;
  }
}
