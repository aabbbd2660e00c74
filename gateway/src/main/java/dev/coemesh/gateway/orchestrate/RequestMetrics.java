package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.tenant.TenantId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's request metrics. Labels come from closed or configured sets only: expert ids,
 * tenant ids (configured tenants), outcomes (finish reasons and error codes).
 *
 * <ul>
 *   <li>{@code mesh.gateway.requests{expert,outcome}}: finished requests, and requests refused at
 *       the front door before they had an expert ({@code expert="none"}: bad JSON, a bad key, a
 *       body over the limit), so that the counter sees every request
 *   <li>{@code mesh.gateway.ttft{expert}}: arrival to first token
 *   <li>{@code mesh.gateway.tokens{tenant,kind=input|output}}: tokens charged
 *   <li>{@code mesh.gateway.inflight}: requests between arrival and their terminal event
 * </ul>
 */
public final class RequestMetrics {
  private final MeterRegistry registry;
  private final AtomicInteger inflight = new AtomicInteger();

  public RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
    registry.gauge("mesh.gateway.inflight", inflight);
  }

  void started() {
    inflight.incrementAndGet();
  }

  void ended(ExpertId expert, String outcome) {
    inflight.decrementAndGet();
    count(expert, outcome);
  }

  private void count(ExpertId expert, String outcome) {
    Counter.builder("mesh.gateway.requests")
        .tag("expert", expert == null ? "none" : expert.value())
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** A request refused before it reached the orchestrator, with its error code as outcome. */
  public void refused(String outcome) {
    count(null, outcome);
  }

  void firstToken(ExpertId expert, long nanos) {
    Timer.builder("mesh.gateway.ttft")
        .tag("expert", expert.value())
        .publishPercentileHistogram()
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  void tokens(TenantId tenant, String kind, int n) {
    Counter.builder("mesh.gateway.tokens")
        .tag("tenant", tenant.value())
        .tag("kind", kind)
        .register(registry)
        .increment(n);
  }

  /** Requests that have arrived and not yet ended (queued, running or streaming). */
  public int inflight() {
    return inflight.get();
  }
}
