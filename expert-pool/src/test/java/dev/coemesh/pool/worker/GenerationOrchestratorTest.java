package dev.coemesh.pool.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.pool.Stories;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GenerationOrchestratorTest {

  private static ContinuousBatcher replica(Model model) {
    return new ContinuousBatcher(
        new LlamaEngine(model, EngineOptions.defaults().withThreads(1).withKvBlocks(64)),
        SchedulerOptions.defaults());
  }

  /** The client's view: token ids and indices in arrival order, and the terminal event. */
  record Stream(List<TokenEvent.Token> tokens, CompletableFuture<TokenEvent> end) {
    Stream() {
      this(new CopyOnWriteArrayList<>(), new CompletableFuture<>());
    }

    void accept(TokenEvent e) {
      if (e instanceof TokenEvent.Token t) {
        tokens.add(t);
      } else {
        end.complete(e);
      }
    }

    List<Integer> ids() {
      return tokens.stream().map(TokenEvent.Token::tokenId).toList();
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aReplicaDyingMidStreamIsReplacedWithoutDuplicateOrMissingTokens(boolean sampled)
      throws Exception {
    Model model = Stories.bin();
    SamplingParams params =
        sampled
            ? new SamplingParams(0.8, 40, 0.95, 5, 120, List.of(), List.of(), -1)
            : SamplingParams.greedy(120);
    int[] prompt = model.tokenizer().encode("Once upon a time, in a small town", true);

    ContinuousBatcher reference = replica(model);
    Stream uninterrupted = new Stream();
    new GenerationOrchestrator(List.of(reference), 1)
        .generate(prompt, params, uninterrupted::accept);
    assertInstanceOf(TokenEvent.Finished.class, uninterrupted.end().get(60, TimeUnit.SECONDS));
    reference.close();
    reference.engine().close();

    ContinuousBatcher first = replica(model);
    ContinuousBatcher second = replica(model);
    GenerationOrchestrator orchestrator = new GenerationOrchestrator(List.of(first, second), 3);
    Stream interrupted = new Stream();
    CountDownLatch tenTokens = new CountDownLatch(10);
    orchestrator.generate(
        prompt,
        params,
        e -> {
          interrupted.accept(e);
          tenTokens.countDown();
          if (e instanceof TokenEvent.Token t && t.index() == 9) {
            // holds the serving replica's scheduler after the tenth token until the test kills
            // it: the stories model would otherwise finish all 120 tokens first on a fast core
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!first.closing() && System.nanoTime() < deadline) {
              LockSupport.parkNanos(1_000_000);
            }
          }
        });
    assertTrue(tenTokens.await(60, TimeUnit.SECONDS));
    first.close(); // the serving replica dies: its running sequences fail
    TokenEvent.Finished end =
        assertInstanceOf(TokenEvent.Finished.class, interrupted.end().get(60, TimeUnit.SECONDS));
    assertEquals(1, orchestrator.failovers());
    assertEquals(uninterrupted.ids(), interrupted.ids());
    for (int i = 0; i < interrupted.tokens().size(); i++) {
      assertEquals(i, interrupted.tokens().get(i).index());
    }
    assertEquals(interrupted.tokens().size(), end.usage().completionTokens());
    second.close();
    first.engine().close();
    second.engine().close();
  }
}
