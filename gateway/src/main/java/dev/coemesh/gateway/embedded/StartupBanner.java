package dev.coemesh.gateway.embedded;

import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.gateway.serve.ServingConfig;
import dev.coemesh.gateway.status.StatusConfig;
import dev.coemesh.router.Router;
import io.quarkus.grpc.runtime.GrpcServerRecorder;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.StringJoiner;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Tells whoever ran {@code ./mesh up} where the mesh listens and what it serves. A gRPC server that
 * could not bind (Quarkus only logs that and goes on) stops the gateway instead of leaving it half
 * up; {@code ./mesh up} checks both ports before it starts the JVM, so a busy port is reported
 * before anything else.
 */
@Singleton
public class StartupBanner {
  private static final Logger LOG = Logger.getLogger(StartupBanner.class);

  @ConfigProperty(name = "quarkus.http.host")
  String host;

  @ConfigProperty(name = "quarkus.http.port")
  int port;

  @ConfigProperty(name = "quarkus.grpc.server.port")
  int grpcPort;

  void announce(
      @Observes StartupEvent started,
      ExpertDirectory experts,
      Router router,
      ServingConfig serving,
      StatusConfig status) {
    if (ConfigUtils.getProfiles().contains("test")) {
      return;
    }
    if (GrpcServerRecorder.getVerticleCount() == 0) {
      LOG.errorf(
          "the gRPC server did not start on port %d (is the port in use?); stopping", grpcPort);
      Quarkus.asyncExit(1);
      return;
    }
    StringJoiner served = new StringJoiner(", ");
    for (ExpertPool b : experts.all()) {
      served.add(b.expert() + " (context " + b.contextLength() + ")");
    }
    // stdout on purpose, next to the generated key: this is the user's first contact
    System.out.println(
        "coemesh "
            + (serving.pools() == ServingConfig.Pools.REMOTE
                ? "gateway over remote worker pools"
                : "embedded mesh")
            + ": OpenAI API on http://"
            + host
            + ":"
            + port
            + "/v1, gRPC coemesh.v1.Inference on "
            + host
            + ":"
            + grpcPort
            + "; experts: "
            + served
            + "; \"model\": \"auto\" -> CoE router ("
            + router.config().categories().size()
            + " categories, fallback "
            + router.config().fallbackExpert()
            + ")"
            + (status.enabled() ? "; status page on http://" + host + ":" + port + "/ui" : ""));
  }
}
