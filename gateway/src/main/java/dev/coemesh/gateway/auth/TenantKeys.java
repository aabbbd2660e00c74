package dev.coemesh.gateway.auth;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Builds the {@link ApiKeyAuthenticator} from {@link AuthConfig} once at start. Configuration
 * errors (bad tenant id, limits, digest, a digest used twice) fail the start with {@code
 * CONFIG_INVALID} naming the tenant.
 */
public final class TenantKeys {
  private static final Logger LOG = Logger.getLogger(TenantKeys.class);

  /** Prefix of generated keys, so that a leaked one is recognisable in logs and scanners. */
  static final String GENERATED_PREFIX = "mesh-";

  @Produces
  @Singleton
  ApiKeyAuthenticator authenticator(AuthConfig config) {
    return build(config);
  }

  static ApiKeyAuthenticator build(AuthConfig config) {
    List<ApiKeyAuthenticator.Entry> entries = new ArrayList<>();
    for (Map.Entry<String, AuthConfig.TenantConfig> e : config.tenants().entrySet()) {
      if (e.getValue().keySha256().isPresent()) {
        String where = "mesh.auth.tenants." + e.getKey();
        entries.add(
            new ApiKeyAuthenticator.Entry(
                parse(() -> ApiKeyHash.parseHex(e.getValue().keySha256().get(), where)),
                tenant(e.getKey(), e.getValue())));
      }
    }
    String key = config.apiKey().filter(k -> !k.isBlank()).orElseGet(TenantKeys::generateAndPrint);
    String keyTenant = config.apiKeyTenant();
    entries.add(
        new ApiKeyAuthenticator.Entry(
            ApiKeyHash.sha256(key), tenant(keyTenant, config.tenants().get(keyTenant))));
    for (int i = 0; i < entries.size(); i++) {
      for (int j = i + 1; j < entries.size(); j++) {
        if (java.util.Arrays.equals(entries.get(i).sha256(), entries.get(j).sha256())) {
          throw new MeshException(
              ErrorCode.CONFIG_INVALID,
              "tenants "
                  + entries.get(i).tenant().id()
                  + " and "
                  + entries.get(j).tenant().id()
                  + " share one API key");
        }
      }
    }
    return new ApiKeyAuthenticator(entries);
  }

  static Tenant tenant(String id, AuthConfig.TenantConfig c) {
    return parse(
        () ->
            new Tenant(
                new TenantId(id),
                c.weight(),
                c.maxQueued(),
                c.maxConcurrent(),
                c.tokensPerMinute(),
                c.requestsPerMinute(),
                c.whenLimitsUnavailable()));
  }

  private static <T> T parse(java.util.function.Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw new MeshException(ErrorCode.CONFIG_INVALID, e.getMessage(), e);
    }
  }

  private static String generateAndPrint() {
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String key = GENERATED_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    // stdout on purpose: `./mesh up` users must see it whatever the log level
    System.out.println("MESH_API_KEY was not set; generated API key: " + key);
    LOG.infof(
        "generated an API key for tenant 'default' (sha256 %s...)",
        HexFormat.of().formatHex(ApiKeyHash.sha256(key), 0, 4));
    return key;
  }
}
