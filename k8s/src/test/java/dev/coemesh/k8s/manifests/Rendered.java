package dev.coemesh.k8s.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One overlay rendered by kubectl kustomize and read into fabric8's model types. Reading fails on a
 * kind fabric8 does not model (it would come back untyped) and on any field its type does not know.
 *
 * @param overlay the overlay's folder name
 * @param objects every rendered object, in kubectl's order
 */
record Rendered(String overlay, List<HasMetadata> objects) {
  static final Path K8S = Path.of(".");

  /** A Deployment or StatefulSet, reduced to what the checks read. */
  record Workload(HasMetadata object, PodTemplateSpec template, int replicas) {
    String name() {
      return object.getKind() + "/" + object.getMetadata().getName();
    }
  }

  static Rendered overlay(String name) throws Exception {
    return render(name, K8S.resolve("overlays").resolve(name));
  }

  /** The kustomization in {@code dir}, named {@code name} in messages. */
  static Rendered render(String name, Path dir) throws Exception {
    String yaml = Kustomize.render(dir);
    KubernetesSerialization serialization = new KubernetesSerialization();
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : yaml.split("(?m)^---$")) {
      if (document.isBlank()) {
        continue;
      }
      Object parsed = serialization.unmarshal(document);
      if (!(parsed instanceof HasMetadata object) || parsed instanceof GenericKubernetesResource) {
        fail(name + ": a kind fabric8 does not model:\n" + document);
        return null;
      }
      List<String> unknown = UnknownFields.of(object);
      assertEquals(List.of(), unknown, name + ": unknown fields in " + describe(object));
      objects.add(object);
    }
    return new Rendered(name, List.copyOf(objects));
  }

  /** These objects and {@code more}'s, as if applied together. */
  Rendered plus(Rendered more) {
    List<HasMetadata> both = new ArrayList<>(objects);
    both.addAll(more.objects);
    return new Rendered(overlay + "+" + more.overlay, List.copyOf(both));
  }

  static String describe(HasMetadata object) {
    return object.getKind() + "/" + object.getMetadata().getName();
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> Optional<T> named(Class<T> type, String name) {
    return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
  }

  List<Workload> workloads() {
    List<Workload> workloads = new ArrayList<>();
    for (Deployment d : all(Deployment.class)) {
      workloads.add(new Workload(d, d.getSpec().getTemplate(), d.getSpec().getReplicas()));
    }
    for (StatefulSet s : all(StatefulSet.class)) {
      workloads.add(new Workload(s, s.getSpec().getTemplate(), s.getSpec().getReplicas()));
    }
    return workloads;
  }
}
