package dev.coemesh.gateway.limit;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.gateway.auth.TenantDirectory;
import dev.coemesh.gateway.orchestrate.TokenRateLimiter;
import io.lettuce.core.RedisURI;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * CDI wiring of the tenants' limits: {@link SharedLimits} when {@code mesh.limits.redis.uri} is
 * set, else {@link LocalLimits}. Built at start, so that a bad setting fails the start with {@code
 * CONFIG_INVALID} naming the key, and the store's connection is open before the first request.
 */
@Singleton
public class LimitsWiring {
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9:._-]{1,64}");
  private static final Set<String> SCHEMES = Set.of("redis", "rediss");

  @Produces
  @Singleton
  LimitMetrics limitMetrics(MeterRegistry registry) {
    return new LimitMetrics(registry);
  }

  @Produces
  @Singleton
  TenantLimits tenantLimits(
      LimitsConfig config, TokenRateLimiter tokens, LimitMetrics metrics, TenantDirectory tenants) {
    SharedLimits.Settings shared = settings(config.redis());
    LocalLimits local =
        new LocalLimits(tokens.windows(), new MinuteWindows(System::nanoTime), metrics);
    for (Tenant t : tenants.tenants()) {
      register(metrics, t, shared != null);
    }
    return shared == null ? local : SharedLimits.start(shared, local, metrics);
  }

  void closeTenantLimits(@Disposes TenantLimits limits) {
    if (limits instanceof SharedLimits s) {
      s.close();
    }
  }

  /** Builds the limits at start (see the class comment). */
  void atStart(@Observes StartupEvent start, TenantLimits limits) {
    limits.view();
  }

  /** The refusal counters a configured tenant can move, at 0 (exported before a refusal). */
  static void register(LimitMetrics metrics, Tenant t, boolean shared) {
    String scope = shared ? LimitMetrics.SHARED : LimitMetrics.LOCAL;
    if (t.requestsPerMinute() > 0) {
      metrics.register(t.id(), LimitKind.REQUESTS, scope);
    }
    if (t.tokensPerMinute() > 0) {
      metrics.register(t.id(), LimitKind.TOKENS, scope);
    }
    if (shared) {
      metrics.register(t.id(), LimitKind.CONCURRENCY, scope);
      if (t.whenLimitsUnavailable() == Tenant.LimitStoreOutage.FAIL_CLOSED) {
        metrics.register(t.id(), LimitKind.STORE_UNAVAILABLE, scope);
      } else {
        metrics.registerFallback(t.id());
      }
    }
  }

  /**
   * The shared store's settings, or null when no store is configured.
   *
   * @throws MeshException {@code CONFIG_INVALID} naming the key at fault
   */
  static SharedLimits.Settings settings(LimitsConfig.Redis c) {
    String uri = c.uri().map(String::strip).filter(u -> !u.isEmpty()).orElse(null);
    if (uri == null) {
      return null;
    }
    RedisURI parsed;
    try {
      parsed = RedisURI.create(uri);
    } catch (RuntimeException e) {
      throw invalid(
          "mesh.limits.redis.uri",
          "is not a Redis URI (redis://[[user]:password@]host[:port][/db] or rediss://...): "
              + e.getMessage());
    }
    String scheme = uri.substring(0, Math.max(0, uri.indexOf("://")));
    if (!SCHEMES.contains(scheme) || parsed.getHost() == null || parsed.getHost().isBlank()) {
      throw invalid(
          "mesh.limits.redis.uri",
          "must be redis://host[:port][/db] or rediss://host[:port][/db], was "
              + RedisLimitStore.address(parsed));
    }
    if (!PREFIX.matcher(c.keyPrefix()).matches()) {
      throw invalid(
          "mesh.limits.redis.key-prefix",
          "must be 1-64 characters of A-Z a-z 0-9 : . _ - (no braces: the tenant is the hash tag),"
              + " was '"
              + c.keyPrefix()
              + "'");
    }
    positive("mesh.limits.redis.timeout", c.timeout());
    positive("mesh.limits.redis.connect-timeout", c.connectTimeout());
    positive("mesh.limits.redis.probe-interval", c.probeInterval());
    if (c.lease().compareTo(Duration.ofSeconds(1)) < 0) {
      throw invalid("mesh.limits.redis.lease", "must be at least 1s, was " + c.lease());
    }
    if (c.timeout().multipliedBy(3).compareTo(c.lease()) >= 0) {
      throw invalid(
          "mesh.limits.redis.timeout",
          "must be shorter than a third of mesh.limits.redis.lease (its renewal interval), was "
              + c.timeout()
              + " for a lease of "
              + c.lease());
    }
    if (c.breakerFailures() < 1) {
      throw invalid(
          "mesh.limits.redis.breaker-failures", "must be at least 1, was " + c.breakerFailures());
    }
    return new SharedLimits.Settings(
        uri,
        c.keyPrefix(),
        c.timeout(),
        c.connectTimeout(),
        c.lease(),
        c.breakerFailures(),
        c.probeInterval());
  }

  private static void positive(String key, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw invalid(key, "must be positive, was " + d);
    }
  }

  private static MeshException invalid(String key, String why) {
    return new MeshException(ErrorCode.CONFIG_INVALID, key + " " + why);
  }
}
