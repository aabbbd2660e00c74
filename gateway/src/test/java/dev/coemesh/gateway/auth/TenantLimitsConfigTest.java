package dev.coemesh.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Tenant;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A tenant's limits as configured: negative ones fail the start naming the tenant. */
class TenantLimitsConfigTest {

  record Config(int maxConcurrent, long tokensPerMinute, long requestsPerMinute)
      implements AuthConfig.TenantConfig {
    @Override
    public Optional<String> keySha256() {
      return Optional.empty();
    }

    @Override
    public double weight() {
      return 1;
    }

    @Override
    public int maxQueued() {
      return 8;
    }

    @Override
    public Tenant.LimitStoreOutage whenLimitsUnavailable() {
      return Tenant.LimitStoreOutage.FAIL_CLOSED;
    }
  }

  @ParameterizedTest
  @CsvSource({"4, 0, -1", "4, -1, 0", "0, 0, 0"})
  void aNegativeLimitFailsTheStart(int maxConcurrent, long tpm, long rpm) {
    MeshException e =
        assertThrows(
            MeshException.class,
            () -> TenantKeys.tenant("acme", new Config(maxConcurrent, tpm, rpm)));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().startsWith("tenant acme: "), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"4, 1000, 60"})
  void theLimitsReachTheTenant(int maxConcurrent, long tpm, long rpm) {
    Tenant t = TenantKeys.tenant("acme", new Config(maxConcurrent, tpm, rpm));
    assertEquals(1000, t.tokensPerMinute());
    assertEquals(60, t.requestsPerMinute());
    assertEquals(Tenant.LimitStoreOutage.FAIL_CLOSED, t.whenLimitsUnavailable());
  }
}
