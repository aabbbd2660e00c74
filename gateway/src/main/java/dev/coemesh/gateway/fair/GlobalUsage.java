package dev.coemesh.gateway.fair;

import dev.coemesh.core.spi.SignalBus;
import java.time.Duration;
import java.util.Objects;

/**
 * Shares fair-share charges between gateway replicas over {@code mesh.usage}: each replica
 * publishes what it charged (batched per tenant every {@code flushInterval}) and adds the other
 * replicas' charges to its own counters, so a tenant spreading its traffic over replicas is still
 * ordered by its total service. Lost events only make counters lag; they never touch a request.
 *
 * @param gatewayId this replica's name; events carrying it are its own and are not applied twice
 */
public record GlobalUsage(SignalBus bus, String gatewayId, Duration flushInterval) {
  public GlobalUsage {
    Objects.requireNonNull(bus, "bus");
    if (gatewayId == null || gatewayId.isBlank()) {
      throw new IllegalArgumentException("gateway id must not be blank");
    }
    if (flushInterval.isNegative() || flushInterval.isZero()) {
      throw new IllegalArgumentException("usage flush interval must be > 0, was " + flushInterval);
    }
  }
}
