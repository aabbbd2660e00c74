package dev.coemesh.gateway.embedded;

import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.gateway.serve.ServingConfig;
import dev.coemesh.router.Router;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.StringJoiner;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Tells whoever ran {@code ./mesh up} where the mesh listens and what it serves. */
@Singleton
public class StartupBanner {
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
      ServingConfig serving) {
    if (ConfigUtils.getProfiles().contains("test")) {
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
            + ")");
  }
}
