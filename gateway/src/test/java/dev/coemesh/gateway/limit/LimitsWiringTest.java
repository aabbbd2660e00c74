package dev.coemesh.gateway.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code mesh.limits.redis.*} at start: absent is local, anything wrong names its key. */
class LimitsWiringTest {

  record Redis(
      Optional<String> uri,
      String keyPrefix,
      Duration timeout,
      Duration connectTimeout,
      Duration lease,
      int breakerFailures,
      Duration probeInterval)
      implements LimitsConfig.Redis {
    static Redis of(String uri) {
      return new Redis(
          Optional.ofNullable(uri),
          "mesh:limits:",
          Duration.ofMillis(25),
          Duration.ofSeconds(1),
          Duration.ofSeconds(30),
          3,
          Duration.ofMillis(500));
    }
  }

  @Test
  void noUriMeansLimitsPerProcess() {
    assertNull(LimitsWiring.settings(Redis.of(null)));
    assertNull(LimitsWiring.settings(Redis.of("  ")));
  }

  @Test
  void aGoodUriIsShared() {
    SharedLimits.Settings s = LimitsWiring.settings(Redis.of("redis://10.0.0.5:6380/2"));
    assertEquals("redis://10.0.0.5:6380/2", s.uri());
    assertEquals(Duration.ofMillis(25), s.timeout());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "localhost:6379 | mesh.limits.redis.uri",
        "http://localhost:6379 | mesh.limits.redis.uri",
        "redis:// | mesh.limits.redis.uri",
      })
  void aBadUriFailsTheStartNamingTheKey(String uri, String key) {
    MeshException e = assertThrows(MeshException.class, () -> LimitsWiring.settings(Redis.of(uri)));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().startsWith(key + " "), e.getMessage());
  }

  @Test
  void badDurationsAndCountsFailTheStartNamingTheKey() {
    Redis ok = Redis.of("redis://127.0.0.1:6379");
    assertInvalid(
        "mesh.limits.redis.timeout must be positive",
        new Redis(
            ok.uri(),
            ok.keyPrefix(),
            Duration.ofMillis(-1),
            ok.connectTimeout(),
            ok.lease(),
            3,
            ok.probeInterval()));
    assertInvalid(
        "mesh.limits.redis.timeout must be shorter than a third of mesh.limits.redis.lease",
        new Redis(
            ok.uri(),
            ok.keyPrefix(),
            Duration.ofSeconds(20),
            ok.connectTimeout(),
            ok.lease(),
            3,
            ok.probeInterval()));
    assertInvalid(
        "mesh.limits.redis.lease must be at least 1s",
        new Redis(
            ok.uri(),
            ok.keyPrefix(),
            ok.timeout(),
            ok.connectTimeout(),
            Duration.ofMillis(10),
            3,
            ok.probeInterval()));
    assertInvalid(
        "mesh.limits.redis.breaker-failures must be at least 1",
        new Redis(
            ok.uri(),
            ok.keyPrefix(),
            ok.timeout(),
            ok.connectTimeout(),
            ok.lease(),
            0,
            ok.probeInterval()));
    assertInvalid(
        "mesh.limits.redis.probe-interval must be positive",
        new Redis(
            ok.uri(),
            ok.keyPrefix(),
            ok.timeout(),
            ok.connectTimeout(),
            ok.lease(),
            3,
            Duration.ZERO));
    assertInvalid(
        "mesh.limits.redis.key-prefix must be 1-64 characters",
        new Redis(
            ok.uri(),
            "limits:{x}:",
            ok.timeout(),
            ok.connectTimeout(),
            ok.lease(),
            3,
            ok.probeInterval()));
  }

  private static void assertInvalid(String start, Redis config) {
    MeshException e = assertThrows(MeshException.class, () -> LimitsWiring.settings(config));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
  }
}
