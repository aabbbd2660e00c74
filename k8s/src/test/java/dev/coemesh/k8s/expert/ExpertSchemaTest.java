package dev.coemesh.k8s.expert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Sample Expert objects against the checked-in CRD's openAPIV3Schema, checked as JSON Schema (draft
 * 4, which OpenAPI 3.0's schema objects follow): there is no API server here. The CEL rules ({@code
 * x-kubernetes-validations}) are the API server's to run; this test checks they are in the schema,
 * and that the schema alone lets their cases through.
 */
class ExpertSchemaTest {
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final Path INVALID = Path.of("src/test/resources/experts/invalid");
  private static Schema schema;
  private static JsonNode version;

  @BeforeAll
  static void loadSchema() throws IOException {
    JsonNode crd = YAML.readTree(Files.readString(ExpertCrdTest.CHECKED_IN));
    version = crd.at("/spec/versions/0");
    assertEquals(Expert.VERSION, version.get("name").asString());
    schema =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4)
            .getSchema(version.at("/schema/openAPIV3Schema").toString());
  }

  private static List<String> errors(Path file) throws IOException {
    List<String> found = new ArrayList<>();
    for (Error e : schema.validate(YAML.readTree(Files.readString(file)))) {
      found.add(e.getKeyword() + " at " + e.getInstanceLocation() + ": " + e.getMessage());
    }
    return found;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "samples/expert-stories.yaml",
        "samples/expert-coder.yaml",
        "samples/expert-coder-download.yaml"
      })
  void samplesAreValidAndReadAsExperts(String sample) throws IOException {
    Path file = Path.of(sample);
    assertEquals(List.of(), errors(file));
    Expert expert = new KubernetesSerialization().unmarshal(Files.readString(file), Expert.class);
    assertTrue(expert.getSpec().categories().size() >= 1, sample);
    assertTrue(expert.getSpec().slo().ttft().endsWith("s"), sample);
  }

  @Test
  void samplesReadIntoTheirTypes() throws IOException {
    Expert coder =
        new KubernetesSerialization()
            .unmarshal(Files.readString(Path.of("samples/expert-coder.yaml")), Expert.class);
    assertEquals(ServingMode.DISAGGREGATED, coder.getSpec().servingMode());
    assertEquals(new PhaseReplicas(2, 8), coder.getSpec().replicas().decode());
    assertEquals("2", coder.getSpec().codecLevel());
    assertEquals(ExpertCondition.Type.READY, coder.getStatus().conditions().get(0).type());
    assertEquals(ExpertCondition.Status.TRUE, coder.getStatus().conditions().get(0).status());
    assertEquals(new ObservedReplicas(null, 1, 2), coder.getStatus().replicas());
  }

  /**
   * Each invalid sample is the coder sample with one field broken; exactly that one is reported.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "missing-slo.yaml,           required,  /spec",
    "unknown-mode.yaml,          enum,      /spec/servingMode",
    "negative-min.yaml,          minimum,   /spec/replicas/prefill/min",
    "zero-max.yaml,              minimum,   /spec/replicas/decode/max",
    "upper-case-category.yaml,   pattern,   /spec/categories/0",
    "no-category.yaml,           minItems,  /spec/categories",
    "codec-level-4.yaml,         pattern,   /spec/codecLevel",
    "ttft-not-a-duration.yaml,   pattern,   /spec/slo/ttft",
    "s3-model.yaml,              pattern,   /spec/model/uri",
    "no-model-uri.yaml,          required,  /spec/model",
    "unknown-condition.yaml,     enum,      /status/conditions/0/type",
    "condition-status-yes.yaml,  enum,      /status/conditions/0/status",
    "reason-with-spaces.yaml,    pattern,   /status/conditions/0/reason",
  })
  void invalidSamplesFailOnTheirField(String file, String keyword, String location)
      throws IOException {
    List<String> errors = errors(INVALID.resolve(file));
    assertEquals(1, errors.size(), errors.toString());
    assertTrue(errors.get(0).startsWith(keyword + " at " + location + ":"), errors.toString());
  }

  @Test
  void crossFieldRulesAreCelRulesForTheApiServer() throws IOException {
    JsonNode spec = version.at("/schema/openAPIV3Schema/properties/spec");
    assertEquals(
        "self.servingMode == 'colocated' ? has(self.replicas.colocated)"
            + " : (has(self.replicas.prefill) && has(self.replicas.decode))",
        spec.at("/x-kubernetes-validations/0/rule").asString());
    for (String phase : List.of("colocated", "prefill", "decode")) {
      assertEquals(
          "self.min <= self.max",
          spec.at("/properties/replicas/properties/" + phase + "/x-kubernetes-validations/0/rule")
              .asString());
    }
    // the schema alone accepts what only these rules refuse: a colocated expert with prefill and
    // decode bounds, and min above max
    Path cel = Path.of("src/test/resources/experts/cel-only");
    assertEquals(List.of(), errors(cel.resolve("colocated-without-colocated-bounds.yaml")));
    assertEquals(List.of(), errors(cel.resolve("min-above-max.yaml")));
  }

  @Test
  void statusIsASubresourceAndModeAColumn() {
    assertTrue(version.at("/subresources/status").isObject());
    assertEquals(
        ".spec.servingMode", version.at("/additionalPrinterColumns/0/jsonPath").asString());
  }
}
