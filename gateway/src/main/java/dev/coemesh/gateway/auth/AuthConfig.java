package dev.coemesh.gateway.auth;

import dev.coemesh.core.tenant.Tenant;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithDefaults;
import java.util.Map;
import java.util.Optional;

/**
 * API keys and tenants ({@code mesh.auth.*}).
 *
 * <pre>
 * mesh.auth.api-key=${MESH_API_KEY:}          # plain key of the api-key-tenant (embedded mode)
 * mesh.auth.tenants.acme.key-sha256=&lt;hex&gt;     # other tenants: only the SHA-256 of their key
 * mesh.auth.tenants.acme.weight=2
 * </pre>
 */
@ConfigMapping(prefix = "mesh.auth")
public interface AuthConfig {

  /**
   * The key that authenticates {@link #apiKeyTenant()}; when absent the gateway generates one at
   * start and prints it.
   */
  Optional<String> apiKey();

  /** The tenant that {@link #apiKey()} maps to. */
  @WithDefault("default")
  String apiKeyTenant();

  /** Tenants by id; an id not listed gets the defaults below. */
  @WithDefaults
  Map<String, TenantConfig> tenants();

  /** One tenant's key and limits. */
  interface TenantConfig {
    /**
     * SHA-256 of the tenant's key, 64 hex digits ({@code sha256sum} of the key without newline).
     */
    Optional<String> keySha256();

    /** Share of service relative to other tenants; fair counters are divided by it. */
    @WithDefault("1")
    double weight();

    /** Requests that may wait in the tenant's queue before 429. */
    @WithDefault("256")
    int maxQueued();

    /** Requests of the tenant that may run at once. */
    @WithDefault("16")
    int maxConcurrent();

    /** Input plus output tokens per trailing minute; 0 for no limit. */
    @WithDefault("0")
    long tokensPerMinute();

    /** Requests per trailing minute; 0 for no limit. */
    @WithDefault("0")
    long requestsPerMinute();

    /**
     * While the shared limit store (Redis) cannot be reached: {@code fail-open} enforces the limits
     * per gateway replica, {@code fail-closed} refuses the tenant's requests.
     */
    @WithDefault("fail-open")
    Tenant.LimitStoreOutage whenLimitsUnavailable();
  }
}
