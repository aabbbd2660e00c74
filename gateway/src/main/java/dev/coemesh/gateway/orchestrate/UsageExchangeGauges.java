package dev.coemesh.gateway.orchestrate;

import dev.coemesh.gateway.fair.VtcScheduler;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.util.Locale;

/**
 * The fair-share usage exchange between gateway replicas as gauges, so that an alert fires when a
 * replica falls back to local VTC (Kafka unreachable):
 *
 * <ul>
 *   <li>{@code mesh.gateway.fair.exchange{state=off|idle|global|local-only}}: 1 for the current
 *       state, 0 for the others ({@link VtcScheduler#exchange()})
 *   <li>{@code mesh.gateway.fair.usage.round.trip}: seconds from publishing this replica's newest
 *       shared totals to their delivery back (the signal delay in the lag allowance), -1 before the
 *       first
 * </ul>
 */
@Startup
@Singleton
public class UsageExchangeGauges {

  public UsageExchangeGauges(VtcScheduler fair, MeterRegistry registry) {
    for (VtcScheduler.Exchange state : VtcScheduler.Exchange.values()) {
      Gauge.builder("mesh.gateway.fair.exchange", fair, f -> f.exchange() == state ? 1 : 0)
          .description("1 for the usage exchange's current state between gateway replicas")
          .tag("state", label(state))
          .register(registry);
    }
    Gauge.builder(
            "mesh.gateway.fair.usage.round.trip",
            fair,
            f -> {
              long ms = f.usageRoundTripMillis();
              return ms < 0 ? -1 : ms / 1000.0;
            })
        .description("publish-to-delivery seconds of this replica's newest shared usage totals")
        .baseUnit("seconds")
        .register(registry);
  }

  /** The label and status-page spelling of a state. */
  public static String label(VtcScheduler.Exchange state) {
    return state.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
