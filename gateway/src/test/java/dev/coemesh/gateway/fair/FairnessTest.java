package dev.coemesh.gateway.fair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.pool.backend.EmbeddedExpertBackend;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * VTC fairness on the real embedded engine (stories260K, continuous batching, bounded batch slots):
 * a heavy tenant sending ten times the requests of a light one.
 *
 * <p>The bound checked is ALGORITHMS.md §3.4: while both tenants are backlogged, the gap between
 * their weighted services {@code W/w} (W = input + 2·output tokens served) never exceeds {@code
 * 2·U}, {@code U = max(w_p·L, w_q·M)}, where L is the longest prompt and M the tokens the running
 * batch can hold (slots × (prompt + max_tokens)). For unequal weights the bound is applied to
 * {@code W/w} divided by the smaller weight (derived; the paper states the unweighted form).
 */
class FairnessTest {
  static final ExpertId EXPERT = new ExpertId("stories260k");
  static final int SLOTS = 8;
  static final int MAX_TOKENS = 24;
  static final String SHORT_PROMPT = "Once upon a time, there was a little girl";

  /**
   * The light tenant's prompt in the latency test: prefill-heavy, as chat turns with history are.
   */
  static final String LONG_PROMPT =
      "Once upon a time, there was a little girl named Lily. She loved to play in the park. "
          .repeat(12);

  static final int TICK_MS = 150;
  static final int LIGHT_REQUESTS = 20;
  static final int HEAVY_DEPTH = 32;
  static final int STEP_SLACK_MS = 5;
  static EmbeddedExpertBackend backend;
  static int shortTokens;
  static int longTokens;

  @BeforeAll
  static void startEngine() {
    Model model =
        ModelLoader.load(
            SharedModels.file(SharedModels.STORIES_260K_BIN),
            SharedModels.file(SharedModels.STORIES_260K_TOKENIZER));
    backend =
        new EmbeddedExpertBackend(
            EXPERT,
            model,
            EngineOptions.defaults().withThreads(1),
            new SchedulerOptions(SLOTS, 512, 64),
            new ReplicaId(EXPERT, ReplicaRole.COLOCATED, "fair-0"),
            null);
    shortTokens = backend.countTokens(SHORT_PROMPT);
    longTokens = backend.countTokens(LONG_PROMPT);
  }

  @AfterAll
  static void stopEngine() {
    backend.close();
  }

  static Tenant tenant(String id, double weight) {
    return new Tenant(new TenantId(id), weight, 1_000, 1_000, 0);
  }

  /** One request as the test sends it. */
  record Job(String prompt, int promptTokens, int maxTokens) {}

  /** What the test observed of one request. */
  record Outcome(long submitNanos, long firstTokenNanos, int output) {
    double ttftMs() {
      return (firstTokenNanos - submitNanos) / 1e6;
    }
  }

  /**
   * Drives requests through the scheduler into the engine as the gateway does (admit → submit →
   * charge each token → complete) and, at every charge while both tenants have requests waiting,
   * measures the gap between their weighted services.
   */
  static final class Run {
    final VtcScheduler vtc =
        new VtcScheduler(VtcOptions.defaults(), new BackendCapacity(e -> backend.capacity()));
    final Tenant heavy;
    final Tenant light;
    final double[] served = new double[2]; // W = input + 2·output, [heavy, light]
    double maxGap; // max |W_h/w_h − W_l/w_l| while both were backlogged
    int checks;
    double[] servedWhenLightDrained; // W of both when the light tenant's queue first emptied

    Run(Tenant heavy, Tenant light) {
      this.heavy = heavy;
      this.light = light;
    }

    /** 2·U/min(w), U = max(w_p·L, w_q·M), M = slots × (L + max_tokens). */
    double bound(int longestPrompt) {
      double u = Math.max(1.0 * longestPrompt, 2.0 * SLOTS * (longestPrompt + MAX_TOKENS));
      return 2 * u / Math.min(heavy.weight(), light.weight());
    }

    CompletableFuture<Outcome> submit(Tenant tenant, Job job) {
      return submit(tenant, job, () -> {});
    }

    /** {@code onAdmitted} runs when the scheduler lets the request start. */
    CompletableFuture<Outcome> submit(Tenant tenant, Job job, Runnable onAdmitted) {
      CompletableFuture<Outcome> done = new CompletableFuture<>();
      long submitted = System.nanoTime();
      int who = tenant == heavy ? 0 : 1;
      vtc.submit(
          tenant,
          EXPERT,
          job.promptTokens(),
          ticket -> {
            charge(who, job.promptTokens());
            onAdmitted.run();
            long[] first = {0};
            int[] output = {0};
            backend.submit(
                new GenerationRequest(
                    RequestId.random(),
                    tenant.id(),
                    EXPERT,
                    job.prompt(),
                    SamplingParams.greedy(job.maxTokens()),
                    Instant.now().plus(Duration.ofMinutes(1))),
                event -> {
                  switch (event) {
                    case TokenEvent.Token t -> {
                      if (first[0] == 0) {
                        first[0] = System.nanoTime();
                      }
                      output[0]++;
                      ticket.chargeOutput(1);
                      charge(who, 2);
                    }
                    case TokenEvent.Finished f -> {
                      ticket.complete();
                      done.complete(new Outcome(submitted, first[0], output[0]));
                    }
                    case TokenEvent.Failed f -> {
                      ticket.complete();
                      done.completeExceptionally(new AssertionError(f.message()));
                    }
                    case TokenEvent.ToolCallDelta d -> {
                      ticket.complete();
                      done.completeExceptionally(new AssertionError(d));
                    }
                  }
                });
          });
      return done;
    }

    synchronized void charge(int who, double service) {
      served[who] += service;
      boolean lightWaits = vtc.queued(light.id()) > 0;
      if (vtc.queued(heavy.id()) > 0 && lightWaits) {
        double gap = Math.abs(served[0] / heavy.weight() - served[1] / light.weight());
        maxGap = Math.max(maxGap, gap);
        checks++;
      } else if (!lightWaits && servedWhenLightDrained == null && served[1] > 0) {
        servedWhenLightDrained = served.clone();
      }
    }

    static List<Outcome> await(List<CompletableFuture<Outcome>> all) throws Exception {
      List<Outcome> out = new ArrayList<>();
      for (CompletableFuture<Outcome> f : all) {
        out.add(f.get(60, TimeUnit.SECONDS));
      }
      return out;
    }
  }

  /** Both tenants submit everything at once, the heavy one first and ten times as much. */
  static Run backlogged(double heavyWeight, double lightWeight) throws Exception {
    Run run = new Run(tenant("heavy", heavyWeight), tenant("light", lightWeight));
    Job job = new Job(SHORT_PROMPT, shortTokens, MAX_TOKENS);
    List<CompletableFuture<Outcome>> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      all.add(run.submit(run.heavy, job));
    }
    for (int i = 0; i < 20; i++) {
      all.add(run.submit(run.light, job));
    }
    List<Outcome> outcomes = Run.await(all);
    for (Outcome o : outcomes) {
      assertEquals(MAX_TOKENS, o.output()); // the story never ends within 24 tokens
    }
    assertEquals(0, run.vtc.open());
    return run;
  }

  @Test
  void withEqualWeightsTheServiceGapStaysWithinTheVtcBound() throws Exception {
    Run run = backlogged(1, 1);
    double bound = run.bound(shortTokens);
    System.out.printf(
        "VTC 1:1, heavy sends 10x: max gap %.0f, bound 2U = %.0f (%d checks); W at light drained"
            + " %s%n",
        run.maxGap, bound, run.checks, Arrays.toString(run.servedWhenLightDrained));
    assertTrue(run.checks > 200, "both tenants must have been backlogged a while");
    assertTrue(run.maxGap <= bound, "gap " + run.maxGap + " > bound " + bound);
    // the split while both waited, judged by the bound the theory gives (not by a ratio: with
    // about a thousand tokens of service each, the bound allows a visibly uneven ratio)
    double[] w = run.servedWhenLightDrained;
    assertTrue(Math.abs(w[0] - w[1]) <= bound, "split " + Arrays.toString(w) + " off by > bound");
  }

  @Test
  void withWeightsTwoToOneServiceSplitsTwoToOneWithinTheBound() throws Exception {
    Run run = backlogged(2, 1);
    double bound = run.bound(shortTokens);
    double[] w = run.servedWhenLightDrained;
    System.out.printf(
        "VTC 2:1, heavy sends 10x: max gap of W/w %.0f, bound %.0f (%d checks); W at light drained"
            + " %s = %.2f:1%n",
        run.maxGap, bound, run.checks, Arrays.toString(w), w[0] / w[1]);
    assertTrue(run.checks > 200);
    assertTrue(run.maxGap <= bound, "gap " + run.maxGap + " > bound " + bound);
    assertTrue(Math.abs(w[0] / 2 - w[1]) <= bound, "2:1 split off by more than the bound");
  }

  /**
   * The light tenant's latency: one long-prompt request every {@value #TICK_MS} ms, alone and then
   * beside a heavy tenant that keeps {@value #HEAVY_DEPTH} requests queued all the time (it sends a
   * new one whenever one starts; short prompts, staggered lengths so that slots free up
   * continuously, as with real traffic). Returns the light tenant's outcomes.
   */
  static List<Outcome> lightLatencies(boolean withHeavy) throws Exception {
    Run run = new Run(tenant("heavy", 1), tenant("light", 1));
    List<CompletableFuture<Outcome>> heavy = new CopyOnWriteArrayList<>();
    AtomicBoolean heavySends = new AtomicBoolean(withHeavy);
    AtomicInteger heavySent = new AtomicInteger();
    Runnable[] sendHeavy = new Runnable[1];
    sendHeavy[0] =
        () -> {
          if (heavySends.get()) {
            int n = heavySent.getAndIncrement();
            Job job = new Job(SHORT_PROMPT, shortTokens, 32 + n * 7 % 64);
            heavy.add(run.submit(run.heavy, job, sendHeavy[0]));
          }
        };
    for (int i = 0; withHeavy && i < HEAVY_DEPTH; i++) {
      sendHeavy[0].run();
    }
    List<CompletableFuture<Outcome>> light = new ArrayList<>();
    Job job = new Job(LONG_PROMPT, longTokens, 8);
    for (int i = 0; i < LIGHT_REQUESTS; i++) {
      if (withHeavy) {
        assertTrue(run.vtc.queued(run.heavy.id()) > 0, "the heavy tenant must stay backlogged");
      }
      light.add(run.submit(run.light, job));
      Thread.sleep(TICK_MS);
    }
    heavySends.set(false);
    List<Outcome> out = Run.await(light);
    Run.await(heavy);
    if (withHeavy) {
      assertTrue(
          heavySent.get() >= 10 * LIGHT_REQUESTS,
          "heavy sent " + heavySent.get() + ", not 10x the light tenant's " + LIGHT_REQUESTS);
      System.out.printf("heavy tenant sent %d requests%n", heavySent.get());
    }
    assertEquals(0, run.vtc.open());
    return out;
  }

  static double p90(List<Outcome> outcomes) {
    double[] t = outcomes.stream().mapToDouble(Outcome::ttftMs).sorted().toArray();
    return t[(int) Math.ceil(0.9 * t.length) - 1];
  }

  /**
   * Each attempt measures alone and then shared, back to back, so both see the same machine; up to
   * three attempts, because another process on a 2-core host can stall one run by tens of ms. A
   * scheduler without the VTC order fails every attempt: the light request would wait behind the
   * heavy tenant's {@value #HEAVY_DEPTH} queued requests, many times its lone TTFT.
   *
   * <p>Shared, the light request also waits for the engine step in progress when it arrives (a
   * batch of the heavy tenant's sequences): a fixed cost of a few ms that no fair order removes. It
   * is allowed on top of the 2x ({@value #STEP_SLACK_MS} ms); since tokenizing became O(n log n)
   * the lone TTFT is 2.5-6.5 ms, so 2x alone no longer covers that step. The queue it guards
   * against costs hundreds of ms.
   */
  @Test
  void theLightTenantsP90TimeToFirstTokenStaysWithinTwiceItsValueAlone() throws Exception {
    lightLatencies(false); // warm-up (JIT)
    List<String> attempts = new ArrayList<>();
    for (int attempt = 1; attempt <= 3; attempt++) {
      double alone = p90(lightLatencies(false));
      double shared = p90(lightLatencies(true));
      System.out.printf(
          "light tenant p90 TTFT (%d-token prompts), attempt %d: alone %.2f ms, beside the heavy"
              + " tenant %.2f ms (%.2fx)%n",
          longTokens, attempt, alone, shared, shared / alone);
      attempts.add(String.format("%.1f ms vs 2 x %.1f ms + %d ms", shared, alone, STEP_SLACK_MS));
      if (shared <= 2 * alone + STEP_SLACK_MS) {
        return;
      }
    }
    fail(
        "the light tenant's p90 TTFT exceeded twice its lone value (plus one engine step) in every"
            + " attempt: "
            + attempts);
  }
}
