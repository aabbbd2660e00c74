package dev.coemesh.gateway.sharedlimits;

import dev.coemesh.testkit.RedisServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A real redis-server as the gateway's limit store, which the test stops and starts again on the
 * same port to make an outage.
 */
public final class LimitStoreResource implements QuarkusTestResourceLifecycleManager {
  static volatile RedisServer server;

  @Override
  public Map<String, String> start() {
    server = RedisServer.startNew();
    return Map.of(
        "mesh.limits.redis.uri", server.uri(),
        // generous for a busy test machine: a timeout here would fall back and skew the counts
        "mesh.limits.redis.timeout", "250ms",
        "mesh.limits.redis.breaker-failures", "1",
        "mesh.limits.redis.probe-interval", "100ms");
  }

  @Override
  public void stop() {
    if (server != null) {
      server.close();
    }
  }
}
