package dev.coemesh.operator.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.coemesh.k8s.expert.Expert;
import dev.coemesh.k8s.expert.ExpertSpec;
import dev.coemesh.k8s.expert.ModelSource;
import dev.coemesh.k8s.expert.PhaseReplicas;
import dev.coemesh.k8s.expert.ReplicaBounds;
import dev.coemesh.k8s.expert.ServingMode;
import dev.coemesh.k8s.expert.Slo;
import dev.coemesh.operator.expert.ExpertPlan;
import dev.coemesh.operator.expert.InvalidSpecException;
import dev.coemesh.operator.routing.RoutingTable;
import dev.coemesh.router.config.RoutingConfigLoader;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateways' download list and the digest that rolls them. */
class GatewayModelsTest {
  private static final String MODEL = "https://models.example.com/a/model.bin";
  private static final String TOKENIZER = "https://models.example.com/a/tok.bin";
  private static final String SHA =
      "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696";

  private static ExpertPlan plan(
      String name, ModelSource model, ServingMode mode, String... categories) throws Exception {
    Expert e = new Expert();
    e.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("coemesh").build());
    e.setSpec(
        new ExpertSpec(
            model,
            categories.length == 0 ? List.of("chat") : List.of(categories),
            mode,
            new Slo("2s", "100ms"),
            mode == ServingMode.COLOCATED
                ? new ReplicaBounds(new PhaseReplicas(1, 2), null, null)
                : new ReplicaBounds(null, new PhaseReplicas(1, 2), new PhaseReplicas(1, 2)),
            null,
            null));
    return ExpertPlan.of(e);
  }

  private static ExpertPlan colocated(String name, ModelSource model, String... categories)
      throws Exception {
    return plan(name, model, ServingMode.COLOCATED, categories);
  }

  private static final RoutingTable TABLE = RoutingTable.load(Optional.empty());

  /** The gateways' view of the routing config of {@code plans}, all of which it routes to. */
  private static GatewayModels of(ExpertPlan... plans) {
    RoutingTable.Result table = TABLE.build(List.of(plans));
    assertEquals(Map.of(), table.refused());
    return GatewayModels.of(table);
  }

  @Test
  void theListIsTheUnionOfTheHttpsFilesByFileName() throws Exception {
    GatewayModels models =
        of(
            colocated("b", new ModelSource(MODEL, TOKENIZER, SHA), "chat"),
            colocated(
                "a", new ModelSource("https://h.example/x/other.bin", TOKENIZER, null), "code"),
            colocated("c", new ModelSource("pvc://claim/dir/big.bin", null, null), "math"),
            colocated("d", new ModelSource("synthetic:stories15M", null, null), "creative"));
    assertEquals(
        "model.bin "
            + MODEL
            + " "
            + SHA
            + "\nother.bin https://h.example/x/other.bin -\ntok.bin "
            + TOKENIZER
            + " -\n",
        models.modelsTxt());
  }

  @Test
  void theSameUrlTwiceIsOneDownloadCheckedAgainstTheDigestEitherGives() throws Exception {
    GatewayFiles files = new GatewayFiles();
    ExpertPlan unchecked = colocated("a", new ModelSource(MODEL, null, null));
    ExpertPlan checked = colocated("b", new ModelSource(MODEL, null, SHA), "code");
    files.add(unchecked);
    assertNull(files.conflict(checked));
    files.add(checked);
    assertEquals("model.bin " + MODEL + " " + SHA + "\n", of(unchecked, checked).modelsTxt());
    assertEquals(
        List.of(new dev.coemesh.operator.expert.ModelPlan.Download("model.bin", MODEL, SHA)),
        files.downloads());
  }

  @Test
  void anotherUrlOrDigestForAKnownFileNameIsAConflict() throws Exception {
    GatewayFiles files = new GatewayFiles();
    files.add(colocated("a", new ModelSource(MODEL, null, SHA)));
    InvalidSpecException otherUrl =
        files.conflict(
            colocated("b", new ModelSource("https://mirror.example.com/model.bin", null, SHA)));
    assertEquals("ModelFileConflict", otherUrl.reason());
    InvalidSpecException otherDigest =
        files.conflict(colocated("c", new ModelSource(MODEL, null, "0".repeat(64))));
    assertEquals("ModelFileConflict", otherDigest.reason());
    assertNull(
        files.conflict(colocated("d", new ModelSource("pvc://claim/model.bin", null, null))),
        "a claim's file is not downloaded: the gateway needs it mounted at /models/model.bin");
  }

  @Test
  void theDigestCoversTheExpertSetAndNotTheRoutes() throws Exception {
    ModelSource model = new ModelSource(MODEL, TOKENIZER, SHA);
    String base = of(colocated("a", model, "chat"), colocated("b", model, "code")).expertsHash();
    assertEquals(
        base,
        of(colocated("b", model, "math", "law"), colocated("a", model, "chat")).expertsHash(),
        "categories and the order the Experts come in do not matter");
    assertNotEquals(
        base, of(colocated("a", model), colocated("c", model, "code")).expertsHash(), "a name");
    assertNotEquals(
        base,
        of(colocated("a", model), plan("b", model, ServingMode.DISAGGREGATED, "code"))
            .expertsHash(),
        "a mode");
    assertNotEquals(
        base,
        of(
                colocated("a", model),
                colocated("b", new ModelSource(MODEL, "https://h.example/t2.bin", SHA), "code"))
            .expertsHash(),
        "a tokenizer file");
    assertNotEquals(
        base,
        of(
                colocated("a", new ModelSource(MODEL, TOKENIZER, null)),
                colocated("b", new ModelSource(MODEL, TOKENIZER, null), "code"))
            .expertsHash(),
        "the same file name with another digest is another file for a new pod to fetch");
  }

  @Test
  void theDigestCoversWhatTheBaseRoutingConfigAddsToAnExpert(@TempDir Path dir) throws Exception {
    ModelSource model = new ModelSource(MODEL, TOKENIZER, SHA);
    String shipped;
    try (var in =
        RoutingConfigLoader.class
            .getClassLoader()
            .getResourceAsStream(RoutingConfigLoader.DEFAULT_RESOURCE)) {
      shipped = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String entry = "  - name: stories\n";
    int at = shipped.indexOf(entry);
    String costly =
        shipped.substring(0, at)
            + shipped
                .substring(at)
                .replaceFirst("cost_per_1k_tokens: 0\n", "cost_per_1k_tokens: 0.5\n");
    assertNotEquals(shipped, costly);
    Path base = Files.writeString(dir.resolve("routing.yaml"), costly);
    List<ExpertPlan> plans = List.of(colocated("stories", model, "chat"));
    assertNotEquals(
        GatewayModels.of(TABLE.build(plans)).expertsHash(),
        GatewayModels.of(RoutingTable.load(Optional.of(base)).build(plans)).expertsHash(),
        "a gateway would refuse another cost of the same expert as a change of its experts");
  }
}
