package dev.coemesh.operator.expert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.k8s.expert.Expert;
import dev.coemesh.k8s.expert.ExpertSpec;
import dev.coemesh.k8s.expert.ModelSource;
import dev.coemesh.k8s.expert.PhaseReplicas;
import dev.coemesh.k8s.expert.ReplicaBounds;
import dev.coemesh.k8s.expert.ServingMode;
import dev.coemesh.k8s.expert.Slo;
import dev.coemesh.operator.OperatorConfig;
import dev.coemesh.operator.manifests.Kustomized;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The operator's worker pod is the hand-written pool template's ({@code k8s/workers}, as the prod
 * overlay's {@code stories} expert renders it with {@code kubectl kustomize}): the same security
 * contexts, probes, drain, arguments, environment, ports and volumes, for the same Expert.
 */
class WorkerPodTemplateTest {
  private static final Path STORIES_POOL = Path.of("../k8s/overlays/prod/experts/stories");

  /** The stories pool as kubectl renders it. */
  private static Deployment handWritten() throws Exception {
    return Kustomized.named(Kustomized.render(STORIES_POOL), Deployment.class, "stories-worker");
  }

  /** The template's stories expert as an Expert: its files downloaded, 768Mi, 2 replicas. */
  private static Deployment fromOperator() throws Exception {
    Expert e = new Expert();
    e.setMetadata(new ObjectMetaBuilder().withName("stories").withNamespace("coemesh").build());
    e.setSpec(
        new ExpertSpec(
            new ModelSource(
                "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin",
                "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin",
                null),
            List.of("creative", "chat"),
            ServingMode.COLOCATED,
            new Slo("2s", "100ms"),
            new ReplicaBounds(new PhaseReplicas(2, 6), null, null),
            "auto",
            null));
    List<HasMetadata> objects =
        new ExpertObjects(OperatorConfig.fromEnv(Map.of())).desired(ExpertPlan.of(e));
    return objects.stream()
        .filter(Deployment.class::isInstance)
        .map(Deployment.class::cast)
        .findFirst()
        .orElseThrow();
  }

  @Test
  void theOperatorsWorkerPodIsTheHandWrittenTemplates() throws Exception {
    Deployment template = handWritten();
    Deployment operator = fromOperator();
    assertEquals(template.getSpec().getReplicas(), operator.getSpec().getReplicas());
    assertTrue(
        operator
            .getSpec()
            .getTemplate()
            .getMetadata()
            .getLabels()
            .entrySet()
            .containsAll(template.getSpec().getTemplate().getMetadata().getLabels().entrySet()),
        "the template's pod labels (the NetworkPolicies select by them)");

    PodSpec want = template.getSpec().getTemplate().getSpec();
    PodSpec got = operator.getSpec().getTemplate().getSpec();
    assertEquals(want.getSecurityContext(), got.getSecurityContext());
    assertEquals(want.getTerminationGracePeriodSeconds(), got.getTerminationGracePeriodSeconds());
    assertEquals(want.getServiceAccountName(), got.getServiceAccountName());
    assertEquals(want.getAutomountServiceAccountToken(), got.getAutomountServiceAccountToken());
    assertSameContainer(want.getInitContainers().getFirst(), got.getInitContainers().getFirst());
    assertSameContainer(want.getContainers().getFirst(), got.getContainers().getFirst());
    assertEquals(1, got.getInitContainers().size());
    assertEquals(1, got.getContainers().size());

    assertEquals(names(want.getVolumes()), names(got.getVolumes()));
    for (String same : List.of("models", "tmp", "mesh-credential")) {
      assertEquals(volume(want, same), volume(got, same), same);
    }
    // the template mounts the base's list of files; the operator that script beside its own list
    assertEquals("model-fetch", volume(want, "model-fetch").getConfigMap().getName());
    assertEquals(0555, volume(got, "model-fetch").getProjected().getDefaultMode());
  }

  private static void assertSameContainer(Container want, Container got) {
    String name = want.getName();
    assertEquals(want.getName(), got.getName());
    assertEquals(want.getImage(), got.getImage(), name);
    assertEquals(want.getCommand(), got.getCommand(), name);
    assertEquals(want.getArgs(), got.getArgs(), name);
    assertEquals(want.getEnv(), got.getEnv(), name);
    assertEquals(want.getPorts(), got.getPorts(), name);
    assertEquals(want.getResources(), got.getResources(), name);
    assertEquals(want.getStartupProbe(), got.getStartupProbe(), name);
    assertEquals(want.getLivenessProbe(), got.getLivenessProbe(), name);
    assertEquals(want.getReadinessProbe(), got.getReadinessProbe(), name);
    assertEquals(want.getSecurityContext(), got.getSecurityContext(), name);
    assertEquals(want.getVolumeMounts(), got.getVolumeMounts(), name);
  }

  private static List<String> names(List<Volume> volumes) {
    return volumes.stream().map(Volume::getName).sorted().toList();
  }

  private static Volume volume(PodSpec pod, String name) {
    return pod.getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }
}
