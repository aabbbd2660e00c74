package dev.coemesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.expert.ServingMode;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.router.classify.Embedder;
import dev.coemesh.router.classify.SharedEmbedder;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The router facade end to end, with the real MiniLM embedder and small configs. */
class RouterTest {
  static final String SMALL =
      """
      version: 1
      confidence_threshold: 0.5
      categories:
        - name: code
          examples:
            - Write a Python function that reverses a linked list.
            - Why does my Java code throw a NullPointerException here?
            - How do I undo my last git commit?
            - Fix the SQL query so it groups orders by customer.
            - Explain what this regular expression matches.
        - name: math
          examples:
            - What is 12 times 17?
            - Solve 2x + 3 = 11.
            - What is 20% of 150?
            - Compute the area of a circle with radius 3.
            - How many minutes are there in a week?
          strong_examples:
            - Prove that there are infinitely many prime numbers.
            - Prove the fundamental theorem of calculus.
            - Show that every bounded monotone sequence converges, with a rigorous proof.
        - name: chat
          examples:
            - Hi there, how are you?
            - Good morning!
            - Thanks, that was nice of you.
            - What's your favourite colour?
            - I'm bored, let's talk.
      experts:
        - name: stories
          source: {type: embedded, model: stories260K.bin, tokenizer: tok512.bin}
        - name: coder
          source: {type: embedded, model: stories260K.bin}
          mode: disaggregated
          kv_block_size: 16
        - name: math-small
          source: {type: upstream, url: "http://127.0.0.1:9101/v1", model: small}
          context_length: 4096
        - name: math-large
          source: {type: upstream, url: "http://127.0.0.1:9102/v1", model: large}
          context_length: 4096
      routes:
        code: coder
        math: {strong: math-large, weak: math-small, strong_fraction: 0.2}
        chat: stories
      fallback_expert: stories
      disaggregate_at_tokens: 64
      """;

  static final ExpertId STORIES = new ExpertId("stories");
  static final ExpertId CODER = new ExpertId("coder");

  static RoutingConfig small(String from, String to) {
    return RoutingConfigLoader.parse("small.yaml", SMALL.replace(from, to));
  }

  static Router router(RoutingConfig config) {
    return Router.builder(config, SharedEmbedder.get()).random(new Random(7)).build();
  }

  static void replica(Router router, ExpertId expert, ReplicaRole role, String name, int queue) {
    router.onSignal(
        new SignalEvent.LoadReport(new ReplicaId(expert, role, name), queue, 0, 0, 1000, 0, 0, 0));
  }

  @Test
  void aConfidentPromptGoesToItsCategorysExpertAndAnUnsureOneToTheFallback() {
    try (Router always = router(small("confidence_threshold: 0.5", "confidence_threshold: 0"));
        Router never = router(small("confidence_threshold: 0.5", "confidence_threshold: 1"))) {
      replica(always, CODER, ReplicaRole.COLOCATED, "c1", 0);
      replica(never, STORIES, ReplicaRole.COLOCATED, "s1", 0);
      String prompt = "My Rust program does not compile because of a borrow checker error.";
      RouteDecision classified = always.route(RouteRequest.of("r1", prompt));
      assertEquals(RouteReason.CLASSIFIED, classified.reason());
      assertEquals("code", classified.category());
      assertEquals(CODER, classified.expert());
      assertEquals(ServingMode.COLOCATED, classified.mode());

      RouteDecision fallback = never.route(RouteRequest.of("r2", prompt));
      assertEquals(RouteReason.LOW_CONFIDENCE, fallback.reason());
      assertEquals("code", fallback.category(), "the guess is still recorded");
      assertEquals(STORIES, fallback.expert());
      assertTrue(fallback.confidence() < 1);
    }
  }

  @Test
  void explicitModelsAndCategoryHintsOverrideTheClassifierWhenAllowed() {
    CountingEmbedder counting = new CountingEmbedder(SharedEmbedder.get());
    try (Router router =
        Router.builder(RoutingConfigLoader.parse("s.yaml", SMALL), counting).build()) {
      replica(router, STORIES, ReplicaRole.COLOCATED, "s1", 0);
      int trained = counting.calls.get();
      RouteDecision explicit =
          router.route(RouteRequest.of("r", "Write a Python function.").withModel("stories"));
      assertEquals(RouteReason.EXPLICIT_MODEL, explicit.reason());
      assertEquals(STORIES, explicit.expert());
      assertNull(explicit.category());
      assertEquals(1.0, explicit.confidence());
      assertEquals(trained, counting.calls.get(), "an explicit model skips the embedding");

      RouteDecision hinted =
          router.route(RouteRequest.of("r", "Write a Python function.").withCategoryHint("chat"));
      assertEquals(RouteReason.CATEGORY_HINT, hinted.reason());
      assertEquals("chat", hinted.category());
      assertEquals(STORIES, hinted.expert());

      RouteDecision auto =
          router.route(RouteRequest.of("r", "hello, how is your day going?").withModel("auto"));
      assertEquals(RouteReason.CLASSIFIED, auto.reason());
      assertEquals("chat", auto.category());

      MeshException unknownModel =
          assertThrows(
              MeshException.class,
              () -> router.route(RouteRequest.of("r", "hi").withModel("gpt-9")));
      assertEquals(ErrorCode.MODEL_NOT_FOUND, unknownModel.code());
      assertEquals(
          "The model 'gpt-9' does not exist; use 'auto' to route or one of the experts: stories,"
              + " coder, math-small, math-large",
          unknownModel.getMessage());
      assertEquals("model", unknownModel.param());
      MeshException unknownHint =
          assertThrows(
              MeshException.class,
              () -> router.route(RouteRequest.of("r", "hi").withCategoryHint("poetry")));
      assertEquals(ErrorCode.INVALID_REQUEST, unknownHint.code());
      // blank in every sense: spaces, controls, NEL, line and paragraph separators, no-break space
      for (String blank :
          new String[] {
            "  ",
            "\u0000",
            "\r\n\t\u000B\f\u0085\u2028\u2029\u00A0",
            "\uD800", // a lone surrogate
            "\uFFFD\u200D\u202E\uE000",
            "\u0301\u0301" // combining marks, which accent stripping removes
          }) {
        MeshException empty =
            assertThrows(MeshException.class, () -> router.route(RouteRequest.of("r", blank)));
        assertEquals(ErrorCode.INVALID_REQUEST, empty.code());
      }
    }
    try (Router locked =
        router(
            small(
                "fallback_expert: stories",
                "fallback_expert: stories\noverrides: {explicit_model: false, category_hint: false}"))) {
      replica(locked, STORIES, ReplicaRole.COLOCATED, "s1", 0);
      RouteDecision d =
          locked.route(
              RouteRequest.of("r", "Good evening! How are you?")
                  .withModel("coder")
                  .withCategoryHint("code"));
      assertEquals(RouteReason.CLASSIFIED, d.reason(), "overrides are off: the classifier decides");
      assertEquals("chat", d.category());
      assertEquals(STORIES, d.expert());
    }
  }

  @Test
  void aStrongWeakRouteSendsHardPromptsToTheStrongExpertAndEasyOnesToTheWeak() {
    try (Router router = router(RoutingConfigLoader.parse("s.yaml", SMALL))) {
      RouteDecision hard =
          router.route(
              RouteRequest.of("r", "Prove that the square root of 3 is irrational.")
                  .withCategoryHint("math"));
      assertEquals(RouteDecision.Tier.STRONG, hard.tier());
      assertEquals(new ExpertId("math-large"), hard.expert());
      RouteDecision easy =
          router.route(RouteRequest.of("r", "What is 9 plus 14?").withCategoryHint("math"));
      assertEquals(RouteDecision.Tier.WEAK, easy.tier());
      assertEquals(new ExpertId("math-small"), easy.expert());
      assertTrue(hard.strongWinRate() > easy.strongWinRate());
      // upstream experts with no reported replicas: the gateway calls their URL
      assertNull(easy.replica());
      assertEquals(
          URI.create("http://127.0.0.1:9101/v1"),
          ((RoutingConfig.ModelSource.Upstream) easy.source()).url());
    }
  }

  @Test
  void theReplicaHoldingTheRequestsChainedBlocksWins() {
    try (Router router = router(RoutingConfigLoader.parse("s.yaml", SMALL))) {
      replica(router, STORIES, ReplicaRole.COLOCATED, "cold", 0);
      replica(router, STORIES, ReplicaRole.COLOCATED, "warm", 0);
      int[] tokens = new int[40]; // two full blocks of 16 and a partial one
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = 100 + i;
      }
      long[] hashes = BlockHashes.chain(tokens, tokens.length, 16);
      ReplicaId warm = new ReplicaId(STORIES, ReplicaRole.COLOCATED, "warm");
      router.onSignal(
          new SignalEvent.KvBlockEvent(
              warm, SignalEvent.KvBlockEvent.Kind.STORED, List.of(hashes[0], hashes[1]), 0));
      for (int i = 0; i < 5; i++) {
        RouteDecision d =
            router.route(
                RouteRequest.of("r" + i, "hello there").withModel("stories").withTokens(tokens));
        assertEquals(warm, d.replica());
        assertEquals(2, d.cachedPrefixBlocks());
        assertEquals(1.0, d.scores().get("prefix-affinity"));
      }
      // A different first block breaks the chain: nothing matches even if later tokens are equal.
      int[] other = tokens.clone();
      other[0] = 7;
      RouteDecision miss =
          router.route(RouteRequest.of("m", "hello").withModel("stories").withTokens(other));
      assertEquals(0, miss.cachedPrefixBlocks());
      assertEquals(0.0, miss.scores().get("prefix-affinity"));
      // Hashes the caller computed itself are used as given.
      RouteDecision byHashes =
          router.route(
              RouteRequest.of("h", "hello").withModel("stories").withBlockHashes(hashes, 40));
      assertEquals(warm, byHashes.replica());
    }
  }

  @Test
  void aDisaggregatedExpertSplitsLongUncachedPromptsAndKeepsShortOnesColocated() {
    try (Router router = router(RoutingConfigLoader.parse("s.yaml", SMALL))) {
      replica(router, CODER, ReplicaRole.COLOCATED, "c", 0);
      replica(router, CODER, ReplicaRole.PREFILL, "p", 0);
      replica(router, CODER, ReplicaRole.DECODE, "d", 0);
      RouteDecision shortOne =
          router.route(
              RouteRequest.of("s", "fix my code").withModel("coder").withTokens(new int[20]));
      assertEquals(ServingMode.COLOCATED, shortOne.mode());
      assertEquals(new ReplicaId(CODER, ReplicaRole.COLOCATED, "c"), shortOne.replica());
      RouteDecision longOne =
          router.route(
              RouteRequest.of("l", "fix my code").withModel("coder").withTokens(new int[200]));
      assertEquals(ServingMode.DISAGGREGATED, longOne.mode());
      assertEquals(new ReplicaId(CODER, ReplicaRole.PREFILL, "p"), longOne.replica());
      assertEquals(new ReplicaId(CODER, ReplicaRole.DECODE, "d"), longOne.decodeReplica());
    }
  }

  @Test
  void anEmbeddedExpertWithoutLiveReplicasIsUnavailableAndStaleReplicasExpire() {
    ReplicaRegistryClock clock = new ReplicaRegistryClock();
    try (Router router =
        Router.builder(RoutingConfigLoader.parse("s.yaml", SMALL), SharedEmbedder.get())
            .clock(clock)
            .replicaExpiry(Duration.ofSeconds(5))
            .build()) {
      MeshException none =
          assertThrows(
              MeshException.class,
              () -> router.route(RouteRequest.of("r", "hi").withModel("stories")));
      assertEquals(ErrorCode.NO_HEALTHY_REPLICA, none.code());
      assertEquals("no replica of stories has reported its load recently", none.getMessage());
      replica(router, STORIES, ReplicaRole.COLOCATED, "s1", 0);
      assertEquals(
          "s1", router.route(RouteRequest.of("r", "hi").withModel("stories")).replica().instance());
      for (int i = 0; i < 6; i++) { // another replica still reports: s1's silence is its own
        clock.millis += 1_000;
        replica(router, new ExpertId("witness"), ReplicaRole.COLOCATED, "w1", 0);
      }
      assertEquals(
          ErrorCode.NO_HEALTHY_REPLICA,
          assertThrows(
                  MeshException.class,
                  () -> router.route(RouteRequest.of("r", "hi").withModel("stories")))
              .code());
    }
  }

  @Test
  void anOpenBreakerTakesTheReplicaOutUntilItsCooldownEnds() {
    ReplicaRegistryClock clock = new ReplicaRegistryClock();
    try (Router router =
        Router.builder(RoutingConfigLoader.parse("s.yaml", SMALL), SharedEmbedder.get())
            .clock(clock)
            .replicaExpiry(Duration.ofHours(1))
            .breaker(2, Duration.ofSeconds(30))
            .build()) {
      replica(router, STORIES, ReplicaRole.COLOCATED, "bad", 0);
      replica(router, STORIES, ReplicaRole.COLOCATED, "good", 5);
      ReplicaId bad = new ReplicaId(STORIES, ReplicaRole.COLOCATED, "bad");
      assertEquals(bad, router.route(RouteRequest.of("r", "hi").withModel("stories")).replica());
      router.recordOutcome(bad, false);
      router.recordOutcome(bad, false);
      assertEquals(
          "good",
          router.route(RouteRequest.of("r", "hi").withModel("stories")).replica().instance());
      clock.millis += 30_000;
      assertEquals(bad, router.route(RouteRequest.of("r", "hi").withModel("stories")).replica());
    }
  }

  @Test
  void badRequestsAreTypedErrors() {
    assertEquals(
        ErrorCode.INVALID_REQUEST,
        assertThrows(MeshException.class, () -> RouteRequest.of(" ", "hi")).code());
    assertEquals(
        ErrorCode.INVALID_REQUEST,
        assertThrows(
                MeshException.class,
                () -> new RouteRequest("r", "hi", null, null, null, new int[3], new long[1], 3))
            .code());
    assertEquals(
        ErrorCode.INVALID_REQUEST,
        assertThrows(
                MeshException.class,
                () -> new RouteRequest("r", "hi", null, null, null, new int[3], null, 2))
            .code());
  }

  /** Counts embedding calls of the real embedder. */
  static final class CountingEmbedder implements Embedder {
    final Embedder inner;
    final AtomicInteger calls = new AtomicInteger();

    CountingEmbedder(Embedder inner) {
      this.inner = inner;
    }

    @Override
    public int dimension() {
      return inner.dimension();
    }

    @Override
    public float[] embed(String text) {
      calls.incrementAndGet();
      return inner.embed(text);
    }
  }

  static final class ReplicaRegistryClock extends java.time.Clock {
    long millis;

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.ofEpochMilli(millis);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  static List<String> names(List<RoutingConfig.Expert> experts) {
    List<String> out = new ArrayList<>();
    experts.forEach(e -> out.add(e.name().value()));
    return out;
  }
}
