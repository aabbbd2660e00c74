package dev.coemesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.router.classify.SharedEmbedder;
import dev.coemesh.router.config.RoutingConfigLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The shipped config, trained at start-up, on prompts that are in neither of its files. */
class DefaultConfigRoutingTest {
  static Router router;

  @BeforeAll
  static void train() {
    router = Router.builder(RoutingConfigLoader.loadDefault(), SharedEmbedder.get()).build();
  }

  @AfterAll
  static void close() {
    router.close();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "How do I write a for loop over a dictionary in Python and print each key?|code|coder",
        "What is the integral of cos(x) from 0 to pi over 2?|math|",
        "My ankle is swollen and bruised after I twisted it yesterday. Is it broken?|health|medic",
        "Can my boss make me work on a public holiday without extra pay?|law|counsel",
        "How should a small e-commerce company plan its holiday season inventory?|business|analyst",
        "Why do we see lightning before we hear thunder?|science|scientist",
        "What were the consequences of the Treaty of Versailles for Germany?|humanities|scholar",
        "Write a poem about a fox dancing under the full moon.|creative|stories",
        "Hey! What have you been up to today?|chat|stories",
      })
  void clearPromptsReachTheirCategorysExpert(String prompt, String category, String expert) {
    RouteDecision d = classify(prompt);
    assertEquals(category, d.category());
    assertEquals(RouteReason.CLASSIFIED, d.reason());
    if (expert != null) {
      assertEquals(new ExpertId(expert), d.expert());
    } else {
      assertTrue(d.expert().value().startsWith("math-"), "math goes to its strong or weak expert");
    }
  }

  @Test
  void crossValidationRanOnEveryFamilyAndChoseTheBest() {
    var evaluation = router.evaluation();
    assertEquals(3, evaluation.crossValidatedAccuracy().size());
    double chosen = evaluation.crossValidatedAccuracy().get(evaluation.chosen());
    for (double a : evaluation.crossValidatedAccuracy().values()) {
      assertTrue(chosen >= a);
    }
    assertTrue(chosen > 0.8, "cross-validated accuracy " + chosen);
  }

  /** Every expert is embedded here, so each needs a live replica to route to. */
  private static RouteDecision classify(String prompt) {
    feedOneReplicaPerExpert();
    return router.route(RouteRequest.of("t", prompt));
  }

  private static void feedOneReplicaPerExpert() {
    for (var e : router.config().experts()) {
      RouterTest.replica(router, e.name(), dev.coemesh.core.expert.ReplicaRole.COLOCATED, "r", 0);
    }
  }
}
