package dev.coemesh.gateway.embedded;

import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.serve.ExpertPool;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once every expert can serve: loaded in this JVM, or (remote pools) with at least one live
 * replica that announced itself; reports each one's free KV blocks and running sequences.
 */
@Readiness
@Singleton
public class ExpertsReadiness implements HealthCheck {
  private final ExpertDirectory experts;

  public ExpertsReadiness(ExpertDirectory experts) {
    this.experts = experts;
  }

  @Override
  public HealthCheckResponse call() {
    HealthCheckResponseBuilder r = HealthCheckResponse.named("experts").up();
    for (ExpertPool b : experts.all()) {
      ExpertBackend.Capacity c = b.capacity();
      if (c.maxRunningSequences() == 0) {
        r.down(); // a remote pool none of whose replicas has announced itself (or all expired)
      }
      r.withData(
          b.expert().value(),
          c.freeKvBlocks()
              + "/"
              + c.totalKvBlocks()
              + " KV blocks free, "
              + c.runningSequences()
              + " running, "
              + c.waitingSequences()
              + " waiting");
    }
    return r.build();
  }
}
