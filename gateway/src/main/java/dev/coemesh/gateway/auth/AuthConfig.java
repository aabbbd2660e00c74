package dev.coemesh.gateway.auth;

import dev.coemesh.core.tenant.Tenant;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithDefaults;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * API keys and tenants ({@code mesh.auth.*}).
 *
 * <pre>
 * mesh.auth.api-key=${MESH_API_KEY:}          # plain key of the api-key-tenant (embedded mode)
 * mesh.auth.tenants.acme.key-sha256=&lt;hex&gt;     # other tenants: only the SHA-256 of their key
 * mesh.auth.tenants.acme.weight=2
 * mesh.auth.tenants-file=/etc/coemesh/tenants.yaml   # more tenants, reloaded on change
 * </pre>
 *
 * <p>A tenants file's tenants ({@link TenantsFile}) join those of {@code mesh.auth.tenants.*}; a
 * tenant listed in both is entirely the file's (keys and limits). The {@link #apiKey()} still
 * authenticates {@link #apiKeyTenant()}, with the file's limits for that id when the file lists it
 * (else those of {@code mesh.auth.tenants.<id>.*}).
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

  /**
   * A YAML (or JSON) file of tenants, key digests, limits and inference objectives ({@link
   * TenantsFile}); checked for changes every {@link #tenantsFileReloadInterval()} and reloaded
   * without a restart. A change that fails validation keeps the tenants in force.
   */
  Optional<String> tenantsFile();

  /** How often the tenants file is checked for changes. */
  @WithDefault("5s")
  Duration tenantsFileReloadInterval();

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
    @WithDefault(TenantsFile.DEFAULT_WEIGHT)
    double weight();

    /** Requests that may wait in the tenant's queue before 429. */
    @WithDefault(TenantsFile.DEFAULT_MAX_QUEUED)
    int maxQueued();

    /** Requests of the tenant that may run at once. */
    @WithDefault(TenantsFile.DEFAULT_MAX_CONCURRENT)
    int maxConcurrent();

    /** Input plus output tokens per trailing minute; 0 for no limit. */
    @WithDefault(TenantsFile.DEFAULT_PER_MINUTE)
    long tokensPerMinute();

    /** Requests per trailing minute; 0 for no limit. */
    @WithDefault(TenantsFile.DEFAULT_PER_MINUTE)
    long requestsPerMinute();

    /**
     * While the shared limit store (Redis) cannot be reached: {@code fail-open} enforces the limits
     * per gateway replica, {@code fail-closed} refuses the tenant's requests.
     */
    @WithDefault(TenantsFile.DEFAULT_WHEN_LIMITS_UNAVAILABLE)
    Tenant.LimitStoreOutage whenLimitsUnavailable();
  }
}
