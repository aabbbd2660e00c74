package dev.coemesh.operator;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Runs the Expert operator: {@code java -jar operator.jar}, configured by the environment ({@link
 * OperatorConfig}) and the usual Kubernetes client settings (in-cluster ServiceAccount, else {@code
 * ~/.kube/config}). Serves {@code /healthz} (the process runs) and {@code /readyz} (every informer
 * is synced and healthy) on {@code COEMESH_HEALTH_PORT}.
 */
public final class OperatorMain {
  private OperatorMain() {}

  public static void main(String[] args) throws IOException {
    OperatorConfig config = OperatorConfig.fromEnv(System.getenv());
    KubernetesClient client = new KubernetesClientBuilder().build();
    Operator operator = start(client, config, new ExpertReconciler(config));
    operator.installShutdownHook(Duration.ofSeconds(10));
    serveHealth(operator, config.healthPort());
  }

  /** Registers {@code reconciler} on {@code client} and starts it. */
  public static Operator start(
      KubernetesClient client, OperatorConfig config, ExpertReconciler reconciler) {
    Operator operator =
        new Operator(
            o ->
                o.withKubernetesClient(client)
                    // status and finalizers by merge patches: plain, and what the mock server
                    // of the tests implements
                    .withUseSSAToPatchPrimaryResource(false)
                    .withCloseClientOnStop(false));
    operator.register(
        reconciler,
        o -> {
          if (config.namespace() != null) {
            o.settingNamespace(config.namespace());
          }
          o.withReconciliationMaxInterval(config.resync());
        });
    operator.start();
    return operator;
  }

  private static void serveHealth(Operator operator, int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/healthz", exchange -> respond(exchange, 200, "ok"));
    server.createContext(
        "/readyz",
        exchange -> {
          boolean ready = operator.getRuntimeInfo().allEventSourcesAreHealthy();
          respond(exchange, ready ? 200 : 503, ready ? "ready" : "event sources not healthy");
        });
    server.start();
  }

  private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
