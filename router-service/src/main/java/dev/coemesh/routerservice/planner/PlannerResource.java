package dev.coemesh.routerservice.planner;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * {@code GET /v1/planner}: each expert pool's replica decision, for the operator to apply and for
 * people to read.
 */
@Path("/v1/planner")
public class PlannerResource {
  /** {@code enabled} false (and no pools) while the planner does not run here. */
  public record PlanView(boolean enabled, List<PlanRow> pools) {}

  @Inject PlannerWiring wiring;

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public PlanView plan() {
    PlannerLoop loop = wiring.loop();
    return loop == null ? new PlanView(false, List.of()) : new PlanView(true, loop.rows());
  }
}
