package dev.coemesh.operator.expert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.k8s.expert.ModelSource;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelPlanTest {
  @Test
  void httpsFilesAreDownloadedIntoTheModelsVolume() throws Exception {
    ModelPlan plan =
        ModelPlan.of(
            new ModelSource(
                "https://host.example/a/model.bin", "https://host.example/tok.bin", null));
    assertEquals("/models/model.bin", plan.model());
    assertEquals("/models/tok.bin", plan.tokenizer());
    assertEquals(
        List.of(
            new ModelPlan.Download("model.bin", "https://host.example/a/model.bin", "-"),
            new ModelPlan.Download("tok.bin", "https://host.example/tok.bin", "-")),
        plan.downloads());
    assertEquals(Set.of(), plan.claims());
  }

  @Test
  void claimsAreMountedUnderTheirName() throws Exception {
    ModelPlan plan =
        ModelPlan.of(new ModelSource("pvc://models/llama/m.gguf", "pvc://tokens/t.bin", null));
    assertEquals("/models/models/llama/m.gguf", plan.model());
    assertEquals("/models/tokens/t.bin", plan.tokenizer());
    assertEquals(Set.of("models", "tokens"), plan.claims());
    assertEquals(List.of(), plan.downloads());
  }

  @Test
  void aSyntheticModelIsGeneratedByTheWorker() throws Exception {
    ModelPlan plan = ModelPlan.of(new ModelSource("synthetic:stories15M", null, null));
    assertEquals("synthetic:stories15M", plan.model());
    assertEquals(null, plan.tokenizer());
    assertEquals(List.of(), plan.downloads());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "s3://bucket/m.bin|| only https://, pvc://CLAIM/PATH and synthetic:SHAPE",
        "http://host.example/m.bin|| only https://",
        "file:///models/m.bin|| only https://",
        "https://host.example/|| ending in a file name",
        "pvc://Claim/m.bin|| pvc://CLAIM/PATH",
        "pvc://models/../etc/passwd|| pvc://CLAIM/PATH",
        "pvc://models|| pvc://CLAIM/PATH",
        "synthetic:stories15M|https://host.example/t.bin| brings its own vocabulary",
        "https://a.example/x/m.bin|https://b.example/m.bin| the same file name",
      })
  void unsupportedSourcesAreRefusedSayingWhy(String uri, String tokenizer, String why) {
    InvalidSpecException e =
        assertThrows(
            InvalidSpecException.class, () -> ModelPlan.of(new ModelSource(uri, tokenizer, null)));
    assertEquals("UnsupportedModelSource", e.reason());
    org.junit.jupiter.api.Assertions.assertTrue(
        e.getMessage().contains(why.strip()), e.getMessage());
  }
}
