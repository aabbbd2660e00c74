package dev.coemesh.gateway.fair;

import dev.coemesh.core.spi.SignalBus;
import java.time.Duration;
import java.util.Objects;

/**
 * Shares fair-share charges between gateway replicas over {@code mesh.usage}. Each replica
 * publishes, per tenant, the running totals of the input and output tokens it has served since it
 * started, whenever they changed (at most every {@code flushInterval}) and all of them again every
 * {@code resendInterval}; the others add the increase since the last totals they saw from that
 * replica to their own counters. Totals rather than increments make the exchange loss-tolerant: an
 * event dropped while Kafka is away is made good by the next one, so replicas converge as soon as
 * the broker returns, and a replica that starts late rebuilds its counters from the totals retained
 * in the last {@code history}.
 *
 * @param gatewayId this replica's incarnation, unique per process start (a restarted replica is a
 *     new one, so its earlier totals still count); events carrying it are its own and are used only
 *     to check that the exchange works end to end
 * @param echoTimeout how long a published event may take to come back through Kafka before the
 *     replica reports that it is ordering tenants by its local counters only
 */
public record GlobalUsage(
    SignalBus bus,
    String gatewayId,
    Duration flushInterval,
    Duration resendInterval,
    Duration history,
    Duration echoTimeout) {

  public static final Duration DEFAULT_FLUSH = Duration.ofMillis(100);
  public static final Duration DEFAULT_RESEND = Duration.ofSeconds(1);
  public static final Duration DEFAULT_HISTORY = Duration.ofMinutes(10);
  public static final Duration DEFAULT_ECHO_TIMEOUT = Duration.ofSeconds(3);

  public GlobalUsage {
    Objects.requireNonNull(bus, "bus");
    if (gatewayId == null || gatewayId.isBlank()) {
      throw new IllegalArgumentException("gateway id must not be blank");
    }
    requirePositive(flushInterval, "usage flush interval");
    requirePositive(resendInterval, "usage resend interval");
    requirePositive(echoTimeout, "usage echo timeout");
    if (history.isNegative()) {
      throw new IllegalArgumentException("usage history must be >= 0, was " + history);
    }
    if (resendInterval.compareTo(flushInterval) < 0) {
      throw new IllegalArgumentException(
          "usage resend interval ("
              + resendInterval
              + ") must not be shorter than the flush interval ("
              + flushInterval
              + ")");
    }
  }

  /** The defaults: flushes every 100 ms, resends every second, replays ten minutes. */
  public GlobalUsage(SignalBus bus, String gatewayId, Duration flushInterval) {
    this(
        bus,
        gatewayId,
        flushInterval,
        flushInterval.compareTo(DEFAULT_RESEND) > 0 ? flushInterval : DEFAULT_RESEND,
        DEFAULT_HISTORY,
        DEFAULT_ECHO_TIMEOUT);
  }

  private static void requirePositive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be > 0, was " + d);
    }
  }
}
