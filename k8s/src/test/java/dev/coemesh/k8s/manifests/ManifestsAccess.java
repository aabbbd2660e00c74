package dev.coemesh.k8s.manifests;

import io.fabric8.kubernetes.api.model.ContainerPort;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** What other test packages read of the rendered overlays. */
public final class ManifestsAccess {
  private ManifestsAccess() {}

  /** Each coemesh/* image an overlay runs, with the container ports it declares. */
  public static Map<String, Set<Integer>> meshImagePorts(String overlay) throws Exception {
    Map<String, Set<Integer>> ports = new TreeMap<>();
    for (Rendered.Workload w : ManifestsTest.rendered(overlay).workloads()) {
      w.template().getSpec().getContainers().stream()
          .filter(c -> c.getImage().startsWith("coemesh/"))
          .forEach(
              c ->
                  c.getPorts().stream()
                      .map(ContainerPort::getContainerPort)
                      .forEach(
                          p -> ports.computeIfAbsent(c.getImage(), i -> new TreeSet<>()).add(p)));
    }
    return ports;
  }
}
