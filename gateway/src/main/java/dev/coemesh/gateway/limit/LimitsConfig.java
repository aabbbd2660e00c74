package dev.coemesh.gateway.limit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the tenants' limits are kept ({@code mesh.limits.*}); the limits themselves are the
 * tenants' ({@code mesh.auth.tenants.<id>.requests-per-minute}, {@code tokens-per-minute}, {@code
 * max-concurrent}, {@code when-limits-unavailable}).
 *
 * <pre>
 * mesh.limits.redis.uri=redis://10.0.0.5:6379   # absent: limits per gateway process
 * </pre>
 */
@ConfigMapping(prefix = "mesh.limits")
public interface LimitsConfig {

  Redis redis();

  /** The shared store: every gateway replica given the same one enforces the same limits. */
  interface Redis {
    /**
     * {@code redis://[[user]:password@]host[:port][/db]} or {@code rediss://}; absent (or empty)
     * for limits per gateway process, as without a store.
     */
    Optional<String> uri();

    /** Before every key: {@code <prefix>{<tenant>}:requests|tokens|leases}. */
    @WithDefault("mesh:limits:")
    String keyPrefix();

    /**
     * How long a request waits for its admission: the most a store that hangs costs one request
     * before the breaker opens. Not much shorter: on a busy host scheduling and GC pauses reach
     * tens of ms, and 25 ms tripped the breaker (and so per-gateway limits) under load.
     */
    @WithDefault("250ms")
    Duration timeout();

    /**
     * Of a connect to the store (at start, and while the probe reconnects), and of the calls made
     * in the background (releases, renewals, the probe).
     */
    @WithDefault("1s")
    Duration connectTimeout();

    /** How long a request's concurrency slot outlives a gateway that died; renewed every third. */
    @WithDefault("30s")
    Duration lease();

    /** Failed store calls in a row that open the breaker. */
    @WithDefault("3")
    int breakerFailures();

    /** How often an open breaker asks the store whether it is back. */
    @WithDefault("500ms")
    Duration probeInterval();
  }
}
