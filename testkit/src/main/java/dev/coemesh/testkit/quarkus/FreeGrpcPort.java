package dev.coemesh.testkit.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Gives the test app's gRPC server a free port: other modules' Quarkus tests may run on this
 * machine at the same time and hold the default test port.
 */
public class FreeGrpcPort implements QuarkusTestResourceLifecycleManager {
  @Override
  public Map<String, String> start() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return Map.of("quarkus.grpc.server.test-port", Integer.toString(s.getLocalPort()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void stop() {}

  /** The port the running test app's gRPC server listens on. */
  public static int port() {
    return ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
  }
}
