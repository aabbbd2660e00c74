package dev.coemesh.bench;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.pool.tokenizer.Tokenizer;
import dev.coemesh.router.ExpertChoice;
import dev.coemesh.router.RouteDecision;
import dev.coemesh.router.RouteRequest;
import dev.coemesh.router.Router;
import dev.coemesh.router.config.RoutingConfigLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The router's decision for a request that pins its expert: {@code place} (the replica step:
 * filters, load and prefix-affinity scorers over the request's chained block hashes, the picker,
 * the recorded decision) and {@code route} (the expert step for a pinned model, then the same).
 *
 * <p>{@code replicas} colocated replicas of the expert report load (queues 0..3, KV half used) and
 * each has stored the blocks of {@value #CACHED_PROMPTS} earlier prompts of 512 tokens: the request
 * shares a 256-token system prompt with all of them, and replica r also holds the request's own
 * prompt up to r/replicas of its length, so every replica matches a prefix of a different depth.
 * The request passes its token ids ({@code promptTokens} of them), so the router hashes them too,
 * as it does for a gateway request. Token ids are the stories260K tokenizer's for English-like
 * text.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class RouterPlaceBench {
  private static final int CACHED_PROMPTS = 64;
  private static final int CACHED_PROMPT_TOKENS = 512;
  private static final int SYSTEM_PROMPT_TOKENS = 256;
  private static final int BLOCK_SIZE = RoutingConfigLoader.DEFAULT_KV_BLOCK_SIZE;
  private static final ExpertId EXPERT = new ExpertId("stories");

  /** Two categories (the loader wants examples) and one expert; nothing here is classified. */
  private static final String CONFIG =
      """
      version: 1
      confidence_threshold: 0.5
      categories:
        - name: chat
          examples:
            - Hi there, how are you?
            - Good morning!
            - Tell me a story about a dog.
        - name: code
          examples:
            - Write a Python function that reverses a list.
            - Why does my Java code throw an exception?
            - How do I undo my last git commit?
      experts:
        - name: stories
          source: {type: embedded, model: stories260K.bin, tokenizer: tok512.bin}
      routes:
        chat: stories
        code: stories
      fallback_expert: stories
      disaggregate_at_tokens: 100000
      """;

  @Param({"4", "16"})
  public int replicas;

  @Param({"64", "512"})
  public int promptTokens;

  private Router router;
  private RouteRequest request;
  private ExpertChoice choice;

  @Setup
  public void setUp() {
    router =
        Router.builder(RoutingConfigLoader.parse("bench.yaml", CONFIG), new HashingEmbedder())
            .random(new Random(7))
            .replicaExpiry(Duration.ofDays(1)) // no replica may expire during a long run
            .build();
    Tokenizer tokenizer = BenchTokenizer.SENTENCEPIECE.tokenizer();
    int[] system = tokens(tokenizer, 1, SYSTEM_PROMPT_TOKENS);
    int[] prompt = withSystemPrompt(system, tokens(tokenizer, 2, CACHED_PROMPT_TOKENS));
    long seed = 100;
    for (int r = 0; r < replicas; r++) {
      ReplicaId id = new ReplicaId(EXPERT, ReplicaRole.COLOCATED, "replica-" + r);
      router.onSignal(new SignalEvent.LoadReport(id, r % 4, 2, 500, 500, 40.0, 8.0, 0));
      List<Long> stored = new ArrayList<>();
      for (int p = 0; p < CACHED_PROMPTS; p++) {
        int[] other = withSystemPrompt(system, tokens(tokenizer, seed++, CACHED_PROMPT_TOKENS));
        addAll(stored, BlockHashes.chain(other, other.length, BLOCK_SIZE));
      }
      int ownPrefix = prompt.length * r / replicas;
      addAll(stored, BlockHashes.chain(prompt, ownPrefix, BLOCK_SIZE));
      router.onSignal(
          new SignalEvent.KvBlockEvent(id, SignalEvent.KvBlockEvent.Kind.STORED, stored, 0));
    }
    int[] ids = Arrays.copyOf(prompt, promptTokens);
    request = RouteRequest.of("bench", "Tell me a story.").withModel("stories").withTokens(ids);
    choice = router.chooseExpert(request);
    RouteDecision decision = router.place(request, choice, Set.of());
    System.out.printf(
        "%ndecision: %s, %d of %d prefix blocks cached, scores %s%n",
        decision.replica().instance(),
        decision.cachedPrefixBlocks(),
        promptTokens / BLOCK_SIZE,
        decision.scores());
  }

  private static int[] tokens(Tokenizer tokenizer, long seed, int n) {
    int[] ids = new int[0];
    for (int words = n; ids.length < n; words *= 2) {
      ids = tokenizer.encode(EnglishLikeText.words(words, seed), false);
    }
    return Arrays.copyOf(ids, n);
  }

  /** The system prompt's tokens, then {@code rest} from where the system prompt ends. */
  private static int[] withSystemPrompt(int[] system, int[] rest) {
    int[] out = rest.clone();
    System.arraycopy(system, 0, out, 0, Math.min(system.length, out.length));
    return out;
  }

  private static void addAll(List<Long> out, long[] hashes) {
    for (long h : hashes) {
      out.add(h);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    router.close();
  }

  @Benchmark
  public RouteDecision place() {
    return router.place(request, choice, Set.of());
  }

  @Benchmark
  public RouteDecision route() {
    return router.route(request);
  }
}
