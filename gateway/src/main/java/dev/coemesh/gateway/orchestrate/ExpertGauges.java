package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.serve.ExpertPool;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.util.function.ToDoubleFunction;

/**
 * Each expert's serving state as gauges in {@code /q/metrics}, the same numbers {@code /q/health}
 * reports as text, so that dashboards and alerts can use them:
 *
 * <ul>
 *   <li>{@code mesh.expert.kv.blocks{expert,state=free|total}}: KV-cache blocks over its replicas
 *   <li>{@code mesh.expert.sequences{expert,state=running|waiting|max}}: sequences in its engines'
 *       batches and their own queues, and the batch slots
 *   <li>{@code mesh.gateway.fair.waiting{expert}} and {@code mesh.gateway.fair.admitted{expert}}:
 *       requests in the gateway's fair queue for it (its queue depth), and admitted and not
 *       finished
 *   <li>{@code mesh.gateway.fair.gap{expert}}: the fairness gap, the largest minus the smallest
 *       virtual counter among tenants waiting there ({@link VtcScheduler#fairnessGap})
 * </ul>
 */
@Startup
@Singleton
public class ExpertGauges {

  public ExpertGauges(ExpertDirectory experts, VtcScheduler fair, MeterRegistry registry) {
    for (ExpertPool pool : experts.all()) {
      String expert = pool.expert().value();
      capacity(registry, pool, "mesh.expert.kv.blocks", "free", c -> c.freeKvBlocks());
      capacity(registry, pool, "mesh.expert.kv.blocks", "total", c -> c.totalKvBlocks());
      capacity(registry, pool, "mesh.expert.sequences", "running", c -> c.runningSequences());
      capacity(registry, pool, "mesh.expert.sequences", "waiting", c -> c.waitingSequences());
      capacity(registry, pool, "mesh.expert.sequences", "max", c -> c.maxRunningSequences());
      Gauge.builder("mesh.gateway.fair.waiting", fair, f -> f.waiting(pool.expert()))
          .tag("expert", expert)
          .register(registry);
      Gauge.builder("mesh.gateway.fair.admitted", fair, f -> f.inflight(pool.expert()))
          .tag("expert", expert)
          .register(registry);
      Gauge.builder("mesh.gateway.fair.gap", fair, f -> f.fairnessGap(pool.expert()))
          .description("max - min virtual token counter among tenants backlogged at the expert")
          .tag("expert", expert)
          .register(registry);
    }
  }

  private static void capacity(
      MeterRegistry registry,
      ExpertPool pool,
      String name,
      String state,
      ToDoubleFunction<ExpertBackend.Capacity> value) {
    Gauge.builder(name, pool, p -> value.applyAsDouble(p.capacity()))
        .tag("expert", pool.expert().value())
        .tag("state", state)
        .register(registry);
  }
}
