package dev.coemesh.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.core.tenant.Tenant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tenants file through the directory the gateway authenticates with: reloads and refusals. */
class TenantDirectoryTest {
  static final String API_KEY = "the-api-key";

  /** {@code mesh.auth.*} with one property tenant ("legacy") and the api-key tenant "default". */
  static final AuthConfig CONFIG =
      new AuthConfig() {
        @Override
        public Optional<String> apiKey() {
          return Optional.of(API_KEY);
        }

        @Override
        public String apiKeyTenant() {
          return "default";
        }

        @Override
        public Optional<String> tenantsFile() {
          return Optional.empty();
        }

        @Override
        public Duration tenantsFileReloadInterval() {
          return Duration.ofHours(1);
        }

        @Override
        public Map<String, TenantConfig> tenants() {
          // the real mapping gives defaults for any id (@WithDefaults)
          return Map.of(
              "legacy", properties(Optional.of(ApiKeyHash.sha256Hex("legacy-key")), 1),
              "default", properties(Optional.empty(), 1));
        }
      };

  static AuthConfig.TenantConfig properties(Optional<String> key, double weight) {
    return new AuthConfig.TenantConfig() {
      @Override
      public Optional<String> keySha256() {
        return key;
      }

      @Override
      public double weight() {
        return weight;
      }

      @Override
      public int maxQueued() {
        return 256;
      }

      @Override
      public int maxConcurrent() {
        return 16;
      }

      @Override
      public long tokensPerMinute() {
        return 0;
      }

      @Override
      public long requestsPerMinute() {
        return 0;
      }

      @Override
      public Tenant.LimitStoreOutage whenLimitsUnavailable() {
        return Tenant.LimitStoreOutage.FAIL_OPEN;
      }
    };
  }

  static String tenant(String id, String key, int weight, int maxConcurrent) {
    return """
          %s:
            key-sha256: %s
            weight: %d
            max-concurrent: %d
        """
        .formatted(id, ApiKeyHash.sha256Hex(key), weight, maxConcurrent);
  }

  static TenantDirectory open(Path file) {
    return new TenantDirectory(
        file, Duration.ofHours(1), next -> TenantKeys.table(CONFIG, API_KEY, next));
  }

  static Tenant auth(TenantDirectory d, String key) {
    return d.authenticateHeader("Bearer " + key);
  }

  static void assertRefused(TenantDirectory d, String key) {
    MeshException e = assertThrows(MeshException.class, () -> auth(d, key));
    assertEquals(ErrorCode.UNAUTHENTICATED, e.code());
  }

  @Test
  void withoutAFileThePropertyTenantsAndTheApiKeyTenantAuthenticate() {
    TenantDirectory d = new TenantDirectory(TenantKeys.table(CONFIG, API_KEY, null));
    assertEquals("legacy", auth(d, "legacy-key").id().value());
    assertEquals("default", auth(d, API_KEY).id().value());
    assertTrue(d.reloadStatus().isEmpty());
  }

  @Test
  void aValidEditChangesKeysWeightsAndLimitsWithoutARestart(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tenants.yaml");
    Files.writeString(file, "tenants:\n" + tenant("acme", "acme-key", 1, 4));
    try (TenantDirectory d = open(file)) {
      Tenant before = auth(d, "acme-key");
      assertEquals(1.0, before.weight());
      assertEquals("default", auth(d, API_KEY).id().value(), "the api-key tenant stays");
      assertEquals("legacy", auth(d, "legacy-key").id().value(), "property tenants stay");

      // rotation: the old and the new key both work, the weight and a limit change
      Files.writeString(
          file,
          """
          tenants:
            acme:
              key-sha256: [%s, %s]
              weight: 3
              max-concurrent: 8
            beta:
              key-sha256: %s
          """
              .formatted(
                  ApiKeyHash.sha256Hex("acme-key"),
                  ApiKeyHash.sha256Hex("acme-key-2"),
                  ApiKeyHash.sha256Hex("beta-key")));
      d.check();
      Tenant after = auth(d, "acme-key-2");
      assertEquals(3.0, after.weight());
      assertEquals(8, after.maxConcurrent());
      assertEquals(after, auth(d, "acme-key"));
      assertEquals("beta", auth(d, "beta-key").id().value());
      assertEquals(1.0, before.weight(), "a request authenticated before keeps its tenant");
      assertEquals(new TenantDirectory.ReloadStatus(file.toString(), 1, 0, null), status(d));

      // the old key is retired; a property tenant moves to the file with a new key
      Files.writeString(
          file,
          "tenants:\n"
              + tenant("acme", "acme-key-2", 3, 8)
              + tenant("legacy", "legacy-key-2", 4, 1));
      d.check();
      assertRefused(d, "acme-key");
      assertRefused(d, "beta-key");
      assertRefused(d, "legacy-key");
      assertEquals(3.0, auth(d, "acme-key-2").weight());
      assertEquals(4.0, auth(d, "legacy-key-2").weight());
    }
  }

  @Test
  void aBrokenEditKeepsTheTenantsInForceAndSaysWhy(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tenants.yaml");
    String good = "tenants:\n" + tenant("acme", "acme-key", 2, 4);
    Files.writeString(file, good);
    try (TenantDirectory d = open(file)) {
      String[][] edits = {
        {"tenants: {acme: [", "tenants.yaml: not valid YAML"},
        {
          "tenants: {acme: {key-sha256: 1234}}",
          "tenants.yaml: tenant 'acme': key-sha256 must be 64 hex digits"
        },
        {
          good.replace("weight: 2", "weight: 2\n    max-queued: -3"),
          "tenants.yaml: tenant 'acme': max-queued: must be >= 0, was -3"
        },
        {good + tenant("beta", "acme-key", 1, 1), "tenants acme and beta share one API key"},
        {
          "tenants:\n" + tenant("acme", API_KEY, 1, 1), "tenants acme and default share one API key"
        },
      };
      int rejected = 0;
      for (String[] edit : edits) {
        Files.writeString(file, edit[0]);
        d.check();
        rejected++;
        TenantDirectory.ReloadStatus s = status(d);
        assertEquals(rejected, s.rejected(), edit[0]);
        assertTrue(s.lastError().startsWith(edit[1]), s.lastError());
        assertEquals(2.0, auth(d, "acme-key").weight(), "the old tenants stay in force");
        assertEquals("default", auth(d, API_KEY).id().value());
      }
      assertEquals(0, status(d).reloads());
      Files.writeString(file, good.replace("weight: 2", "weight: 5"));
      d.check();
      assertEquals(5.0, auth(d, "acme-key").weight());
      assertNull(status(d).lastError(), "a good file clears the error");
      assertEquals(1, status(d).reloads());
    }
  }

  @Test
  void anInvalidFileFailsTheStart(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tenants.yaml");
    Files.writeString(file, "tenants: {acme: {weight: -1}}");
    MeshException e = assertThrows(MeshException.class, () -> open(file));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertEquals("tenants.yaml: tenant 'acme': weight must be > 0, was -1.0", e.getMessage());
  }

  /** A Kubernetes Secret: {@code tenants.yaml -> ..data/tenants.yaml}, {@code ..data} swapped. */
  @Test
  void aSecretStyleSymlinkSwapReloads(@TempDir Path dir) throws Exception {
    Path v1 = Files.createDirectory(dir.resolve("..v1"));
    Path v2 = Files.createDirectory(dir.resolve("..v2"));
    Files.writeString(v1.resolve("tenants.yaml"), "tenants:\n" + tenant("acme", "acme-key", 1, 4));
    Files.writeString(v2.resolve("tenants.yaml"), "tenants:\n" + tenant("acme", "acme-key", 2, 4));
    Files.setLastModifiedTime(
        v2.resolve("tenants.yaml"), Files.getLastModifiedTime(v1.resolve("tenants.yaml")));
    Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Path file = dir.resolve("tenants.yaml");
    Files.createSymbolicLink(file, Path.of("..data", "tenants.yaml"));
    try (TenantDirectory d = open(file)) {
      assertEquals(1.0, auth(d, "acme-key").weight());
      Path tmp = dir.resolve("..data_tmp");
      Files.createSymbolicLink(tmp, v2.getFileName());
      Files.move(
          tmp,
          dir.resolve("..data"),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      d.check();
      assertEquals(2.0, auth(d, "acme-key").weight());
    }
  }

  @Test
  void thePollerPicksUpAnEditOnItsOwn(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tenants.yaml");
    Files.writeString(file, "tenants:\n" + tenant("acme", "acme-key", 1, 4));
    try (TenantDirectory d =
        new TenantDirectory(
            file, Duration.ofMillis(20), next -> TenantKeys.table(CONFIG, API_KEY, next))) {
      Files.writeString(file, "tenants:\n" + tenant("acme", "acme-key", 7, 4));
      long end = System.nanoTime() + 10_000_000_000L;
      while (auth(d, "acme-key").weight() != 7.0 && System.nanoTime() < end) {
        Thread.sleep(10);
      }
      assertEquals(7.0, auth(d, "acme-key").weight());
    }
  }

  @Test
  void prioritiesComeFromTheHeaderTheObjectiveOrTheTenantsDefault(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("tenants.yaml");
    Files.writeString(
        file,
        "tenants:\n"
            + tenant("acme", "acme-key", 1, 4)
            + tenant("bulk", "bulk-key", 1, 4)
            + "    default-priority: batch\n"
            + "objectives:\n  chat: {priority: 10}\n  eval: {priority: -1}\n");
    try (TenantDirectory d = open(file)) {
      TenantTable t = d.table();
      Tenant acme = auth(d, "acme-key");
      Tenant bulk = auth(d, "bulk-key");
      assertEquals(Priority.INTERACTIVE, t.priority(acme, null, null));
      assertEquals(Priority.BATCH, t.priority(bulk, null, null));
      assertEquals(Priority.INTERACTIVE, t.priority(bulk, "Interactive", null));
      assertEquals(Priority.BATCH, t.priority(acme, "batch", null));
      assertEquals(Priority.INTERACTIVE, t.priority(bulk, null, "chat"));
      assertEquals(Priority.BATCH, t.priority(acme, null, "eval"));
      assertEquals(Priority.BATCH, t.priority(acme, null, "batch"), "built in");
      assertEquals(Priority.INTERACTIVE, t.priority(acme, "interactive", "eval"), "header wins");
      MeshException bad = assertThrows(MeshException.class, () -> t.priority(acme, "urgent", null));
      assertEquals(ErrorCode.INVALID_REQUEST, bad.code());
      assertEquals(
          "x-mesh-priority must be 'interactive' or 'batch', got 'urgent'", bad.getMessage());
      MeshException unknown =
          assertThrows(MeshException.class, () -> t.priority(acme, "batch", "nope"));
      assertEquals(
          "x-gateway-inference-objective: unknown inference objective 'nope' (known: batch, chat,"
              + " eval, interactive)",
          unknown.getMessage());
    }
  }

  private static TenantDirectory.ReloadStatus status(TenantDirectory d) {
    return d.reloadStatus().orElseThrow();
  }
}
