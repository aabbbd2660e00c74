package dev.coemesh.gateway.auth;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Builds the {@link TenantDirectory} from {@link AuthConfig}: the tenants of {@code
 * mesh.auth.tenants.*} and those of {@code mesh.auth.tenants-file} (reloaded on change; a tenant in
 * both is the file's, keys and limits), plus the {@code mesh.auth.api-key} tenant. Configuration
 * errors (bad tenant id, limits, digest, a digest used twice) fail the start with {@code
 * CONFIG_INVALID} naming the tenant, and make a reload keep the tenants in force.
 */
public final class TenantKeys {
  private static final Logger LOG = Logger.getLogger(TenantKeys.class);

  /** Prefix of generated keys, so that a leaked one is recognisable in logs and scanners. */
  static final String GENERATED_PREFIX = "mesh-";

  @Produces
  @Singleton
  TenantDirectory directory(AuthConfig config, MeterRegistry registry) {
    // resolved once: a generated key must survive reloads of the tenants file
    String apiKey =
        config.apiKey().filter(k -> !k.isBlank()).orElseGet(TenantKeys::generateAndPrint);
    TenantDirectory directory;
    if (config.tenantsFile().filter(f -> !f.isBlank()).isPresent()) {
      Path file = Path.of(config.tenantsFile().get());
      directory =
          new TenantDirectory(
              file, config.tenantsFileReloadInterval(), next -> table(config, apiKey, next));
      LOG.infof(
          "tenants from %s (%d with a key), watched every %s",
          file, directory.tenants().size(), config.tenantsFileReloadInterval());
    } else {
      directory = new TenantDirectory(table(config, apiKey, null));
    }
    for (boolean ok : new boolean[] {true, false}) {
      FunctionCounter.builder(
              "mesh.tenants.config.reloads",
              directory,
              d -> d.reloadStatus().map(s -> ok ? s.reloads() : s.rejected()).orElse(0L))
          .description("Changes of the tenants file applied (ok) or refused (rejected)")
          .tag("result", ok ? "ok" : "rejected")
          .register(registry);
    }
    return directory;
  }

  void close(@Disposes TenantDirectory directory) {
    directory.close();
  }

  /**
   * The tenants in force for {@code config} and, when not null, a tenants file: its tenants join
   * those of {@code mesh.auth.tenants.*}, and one listed in both is entirely the file's (keys and
   * limits), so a tenant moves to the file without a restart. The {@code apiKey} authenticates
   * {@code mesh.auth.api-key-tenant}, with the file's limits for that id when it lists it.
   */
  static TenantTable table(AuthConfig config, String apiKey, TenantsFile file) {
    List<ApiKeyAuthenticator.Entry> entries = new ArrayList<>();
    Map<TenantId, Priority> defaults = new HashMap<>();
    Map<String, Integer> objectives = new LinkedHashMap<>(TenantTable.BUILT_IN_OBJECTIVES);
    List<TenantsFile.Entry> fileTenants = file == null ? List.of() : file.tenants();
    Set<String> inFile = new HashSet<>();
    fileTenants.forEach(t -> inFile.add(t.tenant().id().value()));
    for (Map.Entry<String, AuthConfig.TenantConfig> e : config.tenants().entrySet()) {
      if (e.getValue().keySha256().isPresent() && !inFile.contains(e.getKey())) {
        String where = "mesh.auth.tenants." + e.getKey();
        entries.add(
            new ApiKeyAuthenticator.Entry(
                parse(() -> ApiKeyHash.parseHex(e.getValue().keySha256().get(), where)),
                tenant(e.getKey(), e.getValue())));
      }
    }
    String keyTenant = config.apiKeyTenant();
    Tenant apiKeyTenant = null;
    for (TenantsFile.Entry t : fileTenants) {
      for (byte[] digest : t.keyDigests()) {
        entries.add(new ApiKeyAuthenticator.Entry(digest, t.tenant()));
      }
      if (t.defaultPriority() != Priority.INTERACTIVE) {
        defaults.put(t.tenant().id(), t.defaultPriority());
      }
      if (t.tenant().id().value().equals(keyTenant)) {
        apiKeyTenant = t.tenant();
      }
    }
    if (file != null) {
      objectives.putAll(file.objectives());
    }
    if (apiKeyTenant == null) {
      apiKeyTenant = tenant(keyTenant, config.tenants().get(keyTenant));
    }
    entries.add(new ApiKeyAuthenticator.Entry(ApiKeyHash.sha256(apiKey), apiKeyTenant));
    requireDistinctKeys(entries);
    return new TenantTable(new ApiKeyAuthenticator(entries), objectives, defaults);
  }

  private static void requireDistinctKeys(List<ApiKeyAuthenticator.Entry> entries) {
    for (int i = 0; i < entries.size(); i++) {
      for (int j = i + 1; j < entries.size(); j++) {
        if (Arrays.equals(entries.get(i).sha256(), entries.get(j).sha256())) {
          TenantId a = entries.get(i).tenant().id();
          TenantId b = entries.get(j).tenant().id();
          throw new MeshException(
              ErrorCode.CONFIG_INVALID,
              a.equals(b)
                  ? "tenant " + a + " lists one API key twice"
                  : "tenants " + a + " and " + b + " share one API key");
        }
      }
    }
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
