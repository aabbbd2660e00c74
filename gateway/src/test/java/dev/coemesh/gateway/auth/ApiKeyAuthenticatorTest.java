package dev.coemesh.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ApiKeyAuthenticatorTest {
  private static final Tenant ACME = new Tenant(new TenantId("acme"), 2, 10, 2, 0);
  private static final Tenant BETA = new Tenant(new TenantId("beta"), 1, 10, 2, 0);
  private final ApiKeyAuthenticator auth =
      new ApiKeyAuthenticator(
          List.of(
              new ApiKeyAuthenticator.Entry(ApiKeyHash.sha256("acme-key"), ACME),
              new ApiKeyAuthenticator.Entry(ApiKeyHash.sha256("beta-key"), BETA)));

  @Test
  void sha256HexIsTheDigestOfTheUtf8Key() {
    // printf '%s' acme-key | sha256sum
    assertEquals(
        "afacab3575137afa4e00d9cbcafcb14c9ae25f779d964eb0ea5b2c4eb5dfd163",
        ApiKeyHash.sha256Hex("acme-key"));
  }

  @Test
  void bearerKeysMapToTheirTenant() {
    assertEquals(ACME, auth.authenticateHeader("Bearer acme-key"));
    assertEquals(BETA, auth.authenticateHeader("bearer beta-key"));
    assertEquals(BETA, auth.authenticate("beta-key"));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "acme-key",
        "Basic YWNtZTprZXk=",
        "Bearer ",
        "Bearer acme-key2",
        "Bearer acme-ke",
        "Bearer ACME-KEY"
      })
  void missingMalformedAndWrongKeysAreUnauthenticated(String header) {
    MeshException e = assertThrows(MeshException.class, () -> auth.authenticateHeader(header));
    assertEquals(ErrorCode.UNAUTHENTICATED, e.code());
    assertEquals(401, e.code().httpStatus());
  }

  @Test
  void anOverlongKeyIsRefusedBeforeHashing() {
    String key = "k".repeat(ApiKeyAuthenticator.MAX_KEY_LENGTH + 1);
    assertEquals(
        ErrorCode.UNAUTHENTICATED,
        assertThrows(MeshException.class, () -> auth.authenticate(key)).code());
  }

  @Test
  void digestsMustBe32Bytes() {
    assertThrows(
        IllegalArgumentException.class, () -> new ApiKeyAuthenticator.Entry(new byte[31], ACME));
  }

  @Test
  void configuredHexDigestsAreValidated() {
    assertEquals(32, ApiKeyHash.parseHex("AF".repeat(32), "t").length);
    assertThrows(IllegalArgumentException.class, () -> ApiKeyHash.parseHex("af", "t"));
    assertThrows(IllegalArgumentException.class, () -> ApiKeyHash.parseHex("zz".repeat(32), "t"));
  }
}
