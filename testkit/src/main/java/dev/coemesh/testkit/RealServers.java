package dev.coemesh.testkit;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One Redis server and one Kafka broker per test run, started on first use and closed by JUnit when
 * the run ends (values in the root store that are {@link AutoCloseable} are closed then). Sharing
 * them keeps the suite fast; a test that needs to stop a server starts its own instead.
 */
final class RealServers {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(RealServers.class);

  private RealServers() {}

  static RedisServer redis(ExtensionContext context) {
    return shared(context, RedisServer.class, RedisServer::startNew);
  }

  static KafkaBroker kafka(ExtensionContext context) {
    return shared(context, KafkaBroker.class, KafkaBroker::startNew);
  }

  private static <T extends AutoCloseable> T shared(
      ExtensionContext context, Class<T> type, Supplier<T> start) {
    return context.getRoot().getStore(NS).computeIfAbsent(type.getName(), key -> start.get(), type);
  }
}
