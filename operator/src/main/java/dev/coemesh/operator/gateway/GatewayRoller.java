package dev.coemesh.operator.gateway;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolls the gateway Deployments when the expert set changes, by setting {@link
 * GatewayModels#EXPERTS_HASH} on their pod template: Kubernetes replaces the pods, whose init
 * container fetches the new {@code models.txt} and whose gateway starts the new experts. The
 * gateway Deployments are not the operator's: a JSON merge patch sets that one annotation and
 * touches nothing else, and only when it differs (a route change, which the gateways reload live,
 * leaves them alone). A named Deployment that does not exist is skipped.
 */
public final class GatewayRoller {
  private static final Logger log = LoggerFactory.getLogger(GatewayRoller.class);

  private final List<String> deployments;

  /** Rolls the Deployments named {@code deployments} in each namespace (none: rolls nothing). */
  public GatewayRoller(List<String> deployments) {
    this.deployments = List.copyOf(deployments);
  }

  /** Gives every gateway of {@code namespace} the digest {@code expertsHash}; the ones patched. */
  public List<String> roll(KubernetesClient client, String namespace, String expertsHash) {
    List<String> patched = new ArrayList<>();
    for (String name : deployments) {
      var resource = client.apps().deployments().inNamespace(namespace).withName(name);
      Deployment gateway = resource.get();
      if (gateway == null) {
        log.debug("no gateway Deployment {}/{} to roll", namespace, name);
        continue;
      }
      if (expertsHash.equals(current(gateway))) {
        continue;
      }
      String patch =
          client
              .getKubernetesSerialization()
              .asJson(
                  Map.of(
                      "spec",
                      Map.of(
                          "template",
                          Map.of(
                              "metadata",
                              Map.of(
                                  "annotations",
                                  Map.of(GatewayModels.EXPERTS_HASH, expertsHash))))));
      resource.patch(PatchContext.of(PatchType.JSON_MERGE), patch);
      log.info(
          "gateway {}/{} rolled: the expert set changed ({} {})",
          namespace,
          name,
          GatewayModels.EXPERTS_HASH,
          expertsHash);
      patched.add(name);
    }
    return patched;
  }

  private static String current(Deployment gateway) {
    if (gateway.getSpec() == null
        || gateway.getSpec().getTemplate() == null
        || gateway.getSpec().getTemplate().getMetadata() == null
        || gateway.getSpec().getTemplate().getMetadata().getAnnotations() == null) {
      return null;
    }
    return gateway
        .getSpec()
        .getTemplate()
        .getMetadata()
        .getAnnotations()
        .get(GatewayModels.EXPERTS_HASH);
  }
}
