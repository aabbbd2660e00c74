package dev.coemesh.testkit.quarkus;

import dev.coemesh.testkit.RedisServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** A real redis-server for a {@code @QuarkusTest}; sets {@code quarkus.redis.hosts}. */
public final class RedisTestResource implements QuarkusTestResourceLifecycleManager {
  private RedisServer server;

  @Override
  public Map<String, String> start() {
    server = RedisServer.startNew();
    return Map.of("quarkus.redis.hosts", server.uri(), "mesh.redis.uri", server.uri());
  }

  @Override
  public void stop() {
    if (server != null) {
      server.close();
    }
  }
}
