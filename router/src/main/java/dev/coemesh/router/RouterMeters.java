package dev.coemesh.router;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.replica.ReplicaRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;

/**
 * What a router knows of each configured expert's replicas, as meters (the catalogue is
 * observability/METRICS.md), for every app that runs a router (gateway, router-service):
 *
 * <ul>
 *   <li>{@code mesh.router.replicas{expert,role}}: live replicas (reported load within the expiry
 *       window)
 *   <li>{@code mesh.router.replicas.expired{expert,role}}: replicas forgotten for their silence
 *   <li>{@code mesh.router.breakers.open{expert}}: replicas whose circuit breaker refuses traffic
 * </ul>
 *
 * Experts come from the routing config (the set a reload keeps), those served by replicas (not
 * upstream servers); roles from {@link ReplicaRole}.
 */
public final class RouterMeters implements MeterBinder {
  private final Router router;

  public RouterMeters(Router router) {
    this.router = router;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    ReplicaRegistry replicas = router.registry();
    for (RoutingConfig.Expert e : router.config().experts()) {
      if (e.source() instanceof RoutingConfig.ModelSource.Upstream) {
        continue; // an upstream server's replicas are its own business: none announce themselves
      }
      ExpertId expert = e.name();
      for (ReplicaRole role : ReplicaRole.values()) {
        String roleLabel = role.name().toLowerCase(Locale.ROOT);
        Gauge.builder("mesh.router.replicas", replicas, r -> r.live(expert, role))
            .description("live replicas: load reported within the expiry window")
            .tag("expert", expert.value())
            .tag("role", roleLabel)
            .register(registry);
        FunctionCounter.builder(
                "mesh.router.replicas.expired", replicas, r -> r.expired(expert, role))
            .description("replicas forgotten after a silence longer than the expiry window")
            .tag("expert", expert.value())
            .tag("role", roleLabel)
            .register(registry);
      }
      Gauge.builder("mesh.router.breakers.open", replicas, r -> r.openBreakers(expert))
          .description("replicas whose circuit breaker refuses traffic")
          .tag("expert", expert.value())
          .register(registry);
    }
  }
}
