package dev.coemesh.operator.expert;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Creates or replaces objects so that they match what the operator wants, writing only when the
 * desired object changed (its digest, {@link Labels#DESIRED_HASH}, differs from the one stored):
 * reconciling an unchanged Expert leaves every resourceVersion as it was. A replace keeps the
 * status and whatever the API server filled in beyond the desired fields only as far as a PUT does;
 * the operator owns these objects whole.
 */
public final class ObjectApplier {
  private final KubernetesClient client;

  public ObjectApplier(KubernetesClient client) {
    this.client = client;
  }

  /** What happened to one object. */
  public enum Outcome {
    CREATED,
    UPDATED,
    UNCHANGED
  }

  public Outcome apply(HasMetadata desired) {
    String hash = Hashes.of(Serialization.asJson(desired));
    Map<String, String> annotations = new LinkedHashMap<>();
    if (desired.getMetadata().getAnnotations() != null) {
      annotations.putAll(desired.getMetadata().getAnnotations());
    }
    annotations.put(Labels.DESIRED_HASH, hash);
    desired.getMetadata().setAnnotations(annotations);

    Resource<? extends HasMetadata> resource = resource(desired);
    HasMetadata existing = resource.get();
    if (existing == null) {
      resource.create();
      return Outcome.CREATED;
    }
    Map<String, String> stored = existing.getMetadata().getAnnotations();
    if (stored != null && hash.equals(stored.get(Labels.DESIRED_HASH))) {
      return Outcome.UNCHANGED;
    }
    desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
    resource(desired).update();
    return Outcome.UPDATED;
  }

  private Resource<? extends HasMetadata> resource(HasMetadata object) {
    if (object instanceof GenericKubernetesResource generic) {
      return client
          .genericKubernetesResources(ExpertObjects.INFERENCE_POOL)
          .inNamespace(object.getMetadata().getNamespace())
          .resource(generic);
    }
    return client.resource(object);
  }
}
