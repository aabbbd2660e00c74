package dev.coemesh.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TenantsFileTest {
  static final String ACME = ApiKeyHash.sha256Hex("acme-key");
  static final String ACME_NEXT = ApiKeyHash.sha256Hex("acme-key-2");

  @Test
  void readsTenantsWithSeveralDigestsLimitsAndObjectives() {
    TenantsFile f =
        TenantsFile.parse(
            "tenants.yaml",
            """
            tenants:
              acme:
                key-sha256: [%s, %s]
                weight: 2.5
                max-queued: 10
                max-concurrent: 3
                tokens-per-minute: 1000
                requests-per-minute: 60
                when-limits-unavailable: fail-closed
                default-priority: batch
              beta:
                key-sha256: %s
            objectives:
              chat: {priority: 10}
              nightly: {priority: -5}
              plain: {}
            """
                .formatted(ACME, ACME_NEXT, ApiKeyHash.sha256Hex("beta-key")));
    assertEquals(2, f.tenants().size());
    TenantsFile.Entry acme = f.tenants().get(0);
    assertEquals(
        new Tenant(new TenantId("acme"), 2.5, 10, 3, 1000, 60, Tenant.LimitStoreOutage.FAIL_CLOSED),
        acme.tenant());
    assertEquals(2, acme.keyDigests().size());
    assertArrayEquals(ApiKeyHash.sha256("acme-key-2"), acme.keyDigests().get(1));
    assertEquals(Priority.BATCH, acme.defaultPriority());
    TenantsFile.Entry beta = f.tenants().get(1);
    assertEquals(
        new Tenant(new TenantId("beta"), 1, 256, 16, 0, 0, Tenant.LimitStoreOutage.FAIL_OPEN),
        beta.tenant(),
        "the defaults of mesh.auth.tenants.*");
    assertEquals(Priority.INTERACTIVE, beta.defaultPriority());
    assertEquals(Map.of("chat", 10, "nightly", -5, "plain", 0), f.objectives());
  }

  @Test
  void jsonIsYamlToo() {
    TenantsFile f =
        TenantsFile.parse(
            "tenants.json", "{\"tenants\": {\"acme\": {\"key-sha256\": \"" + ACME + "\"}}}");
    assertEquals("acme", f.tenants().get(0).tenant().id().value());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
          tenants: {acme: {key-sha256: [abc}                | t.yaml: not valid YAML
          tenants: {acme: {key-sha256: abc}}                | t.yaml: tenant 'acme': key-sha256 must be 64 hex digits
          tenants: {acme: {key-sha256: acme-key}}           | t.yaml: tenant 'acme': key-sha256 must be 64 hex digits (the file holds digests, never keys: printf %s "$KEY" | sha256sum)
          tenants: {acme: {max-queued: -1}}                 | t.yaml: tenant 'acme': max-queued: must be >= 0, was -1
          tenants: {acme: {max-concurrent: 0}}              | t.yaml: tenant 'acme': max-concurrent: must be >= 1, was 0
          tenants: {acme: {tokens-per-minute: lots}}        | t.yaml: tenant 'acme': tokens-per-minute: must be a whole number, was 'lots'
          tenants: {acme: {weight: 0}}                      | t.yaml: tenant 'acme': weight must be > 0, was 0.0
          tenants: {acme: {wieght: 2}}                      | t.yaml: tenant 'acme': wieght: unknown field
          tenants: {acme: {default-priority: urgent}}       | t.yaml: tenant 'acme': default-priority must be interactive or batch, was 'urgent'
          tenants: {acme: {when-limits-unavailable: maybe}} | t.yaml: tenant 'acme': when-limits-unavailable must be fail-open or fail-closed, was 'maybe'
          tenants: {Acme!: {}}                              | t.yaml: tenant 'Acme!': tenant id must match
          tenants: {acme: {}, acme: {}}                     | t.yaml: not valid YAML
          objectives: {chat: {priority: high}}              | t.yaml: objective 'chat': priority: must be a whole number, was 'high'
          users: {}                                         | t.yaml: users: unknown field
          tenants: [acme]                                   | t.yaml: tenants: must be a mapping
          """)
  void invalidFilesAreRefusedNamingTheTenantAndField(String yaml, String message) {
    MeshException e = assertThrows(MeshException.class, () -> TenantsFile.parse("t.yaml", yaml));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertEquals(
        message,
        e.getMessage().substring(0, Math.min(message.length(), e.getMessage().length())),
        e.getMessage());
  }

  @Test
  void anEmptyFileIsRefused() {
    assertEquals(
        "t.yaml: the file is empty",
        assertThrows(MeshException.class, () -> TenantsFile.parse("t.yaml", "")).getMessage());
  }
}
