package dev.coemesh.routerservice.epp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The endpoint picker's meters: {@code mesh_epp_requests_total{outcome}} (every outcome registered
 * up front, so a scrape shows zeros rather than nothing) and {@code mesh_epp_in_flight}.
 */
final class EppMeters {
  /** Outcomes: picked, picked though saturated, and the wire codes of the rejections. */
  static final String[] OUTCOMES = {
    "routed",
    "routed_saturated",
    "invalid_request",
    "model_not_found",
    "payload_too_large",
    "rate_limited",
    "no_healthy_replica",
    "internal"
  };

  private final Map<String, Counter> requests = new ConcurrentHashMap<>();

  EppMeters(MeterRegistry registry, InFlight inFlight) {
    for (String outcome : OUTCOMES) {
      requests.put(
          outcome,
          Counter.builder("mesh_epp_requests")
              .description("Requests the endpoint picker answered, by outcome")
              .tag("outcome", outcome)
              .register(registry));
    }
    Gauge.builder("mesh_epp_in_flight", inFlight, InFlight::total)
        .description("Requests picked whose response has not ended")
        .register(registry);
  }

  void requests(String outcome) {
    Counter c = requests.get(outcome);
    if (c != null) {
      c.increment();
    } else {
      requests.get("internal").increment(); // an error code the picker does not produce
    }
  }
}
