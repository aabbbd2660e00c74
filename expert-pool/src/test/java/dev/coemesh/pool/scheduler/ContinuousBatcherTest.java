package dev.coemesh.pool.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.pool.Stories;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ContinuousBatcherTest {
  private static Model model;

  @BeforeAll
  static void load() {
    model = Stories.bin();
  }

  /** Collects one sequence's events. */
  static final class Stream {
    final List<TokenEvent.Token> tokens = new CopyOnWriteArrayList<>();
    final CompletableFuture<TokenEvent> end = new CompletableFuture<>();

    void accept(TokenEvent e) {
      switch (e) {
        case TokenEvent.Token t -> tokens.add(t);
        case TokenEvent.Finished f -> end.complete(f);
        case TokenEvent.Failed f -> end.complete(f);
        case TokenEvent.ToolCallDelta d -> end.completeExceptionally(new AssertionError(d));
      }
    }

    TokenEvent awaitEnd() throws Exception {
      return end.get(60, TimeUnit.SECONDS);
    }

    int[] ids() {
      return tokens.stream().mapToInt(TokenEvent.Token::tokenId).toArray();
    }

    String text() {
      StringBuilder b = new StringBuilder();
      tokens.forEach(t -> b.append(t.text()));
      return b.toString();
    }
  }

  private static ContinuousBatcher batcher(int blocks, int maxRunning) {
    return new ContinuousBatcher(
        new LlamaEngine(model, EngineOptions.defaults().withThreads(2).withKvBlocks(blocks)),
        new SchedulerOptions(maxRunning, 512, 64));
  }

  /** Sleeps in a sink, on the scheduler thread (a park could return at once on a stale permit). */
  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static int[] encode(String text) {
    return model.tokenizer().encode(text, true);
  }

  @Test
  void greedyFromBosReproducesTheReferenceThroughTheScheduler() throws Exception {
    try (ContinuousBatcher b = batcher(64, 8)) {
      Stream s = new Stream();
      b.submit(new SequenceRequest(new int[] {1}, SamplingParams.greedy(30)), s::accept);
      TokenEvent.Finished end = assertInstanceOf(TokenEvent.Finished.class, s.awaitEnd());
      assertEquals(FinishReason.LENGTH, end.reason());
      assertEquals(
          java.util.Arrays.toString(Stories.GREEDY_30), java.util.Arrays.toString(s.ids()));
      assertEquals(Stories.GREEDY_30_TEXT, s.text());
      assertEquals(30, end.usage().completionTokens());
      assertTrue(end.timings().ttftMs() >= 0 && end.timings().tpotMs() >= 0);
      b.engine().close();
    }
  }

  @Test
  void concurrentSequencesGetTheTokensTheyGetAloneAndBlocksReturn() throws Exception {
    String[] prompts = {
      "Once upon a time",
      "Tom had a red ball",
      "The cat",
      "One day, a little bird flew over the big tree"
    };
    List<int[]> alone = new ArrayList<>();
    try (ContinuousBatcher b = batcher(64, 8)) {
      for (String p : prompts) {
        Stream s = new Stream();
        b.submit(new SequenceRequest(encode(p), SamplingParams.greedy(40)), s::accept);
        s.awaitEnd();
        alone.add(s.ids());
      }
      List<Stream> streams = new ArrayList<>();
      for (String p : prompts) {
        Stream s = new Stream();
        streams.add(s);
        b.submit(new SequenceRequest(encode(p), SamplingParams.greedy(40)), s::accept);
      }
      for (int i = 0; i < prompts.length; i++) {
        streams.get(i).awaitEnd();
        assertEquals(
            java.util.Arrays.toString(alone.get(i)),
            java.util.Arrays.toString(streams.get(i).ids()),
            prompts[i]);
      }
      awaitIdle(b);
      assertEquals(0, b.engine().liveSequences());
      b.engine().close();
    }
  }

  @Test
  void aLongPromptIsPrefilledInChunksWhileTheRunningSequenceKeepsDecoding() throws Exception {
    int[] longPrompt =
        encode(
            "Once upon a time, there was a little girl named Lily. She loved to play outside in"
                + " the park with her friends. One day, she saw a big red ball under a tree and"
                + " ran to get it. Her mom said it was time to go home, but Lily wanted to stay"
                + " and play with the ball a little longer.");
    int[] alone;
    try (ContinuousBatcher b = batcher(64, 8)) {
      Stream s = new Stream();
      b.submit(new SequenceRequest(longPrompt, SamplingParams.greedy(20)), s::accept);
      s.awaitEnd();
      alone = s.ids();
      b.engine().close();
    }
    int chunk = 5; // not a divisor of the 16-position block: chunks end mid-block
    try (ContinuousBatcher b =
        new ContinuousBatcher(
            new LlamaEngine(model, EngineOptions.defaults().withThreads(2).withKvBlocks(64)),
            new SchedulerOptions(8, chunk, 64))) {
      Stream running = new Stream();
      b.submit(new SequenceRequest(new int[] {1}, SamplingParams.greedy(400)), running::accept);
      while (running.tokens.size() < 3) {
        Thread.sleep(1);
      }
      int[] atFirstToken = {-1};
      Stream chunked = new Stream();
      int before = running.tokens.size();
      b.submit(
          new SequenceRequest(longPrompt, SamplingParams.greedy(20)),
          e -> {
            if (e instanceof TokenEvent.Token && atFirstToken[0] < 0) {
              atFirstToken[0] = running.tokens.size();
            }
            chunked.accept(e);
          });
      chunked.awaitEnd();
      assertEquals(java.util.Arrays.toString(alone), java.util.Arrays.toString(chunked.ids()));
      // one chunk per step beside the running sequence's token: it kept decoding meanwhile
      int steps = longPrompt.length / chunk;
      assertTrue(
          atFirstToken[0] - before >= steps - 2,
          "the running sequence decoded "
              + (atFirstToken[0] - before)
              + " tokens while "
              + longPrompt.length
              + " prompt tokens were prefilled in chunks of "
              + chunk);
      running.awaitEnd();
      awaitIdle(b);
      assertEquals(0, b.engine().liveSequences());
      b.engine().close();
    }
  }

  @Test
  void whenBlocksRunOutSequencesArePreemptedAndStillProduceTheirAloneOutput() throws Exception {
    String[] prompts = {"Once upon a time", "Tom had a red ball", "The cat sat"};
    int max = 60;
    List<int[]> alone = new ArrayList<>();
    try (ContinuousBatcher roomy = batcher(64, 8)) {
      for (String p : prompts) {
        Stream s = new Stream();
        roomy.submit(new SequenceRequest(encode(p), SamplingParams.greedy(max)), s::accept);
        s.awaitEnd();
        alone.add(s.ids());
      }
      roomy.engine().close();
    }
    // 8 blocks of 16 = 128 positions for three sequences that each grow to ~65: preemption needed
    try (ContinuousBatcher tight = batcher(8, 8)) {
      List<Stream> streams = new ArrayList<>();
      for (String p : prompts) {
        Stream s = new Stream();
        streams.add(s);
        tight.submit(new SequenceRequest(encode(p), SamplingParams.greedy(max)), s::accept);
      }
      for (int i = 0; i < prompts.length; i++) {
        assertInstanceOf(TokenEvent.Finished.class, streams.get(i).awaitEnd());
        assertEquals(
            java.util.Arrays.toString(alone.get(i)),
            java.util.Arrays.toString(streams.get(i).ids()));
        int[] indices = streams.get(i).tokens.stream().mapToInt(TokenEvent.Token::index).toArray();
        for (int j = 0; j < indices.length; j++) {
          assertEquals(j, indices[j], "token indices are gapless and unrepeated");
        }
      }
      assertTrue(tight.preemptions() > 0, "the pool was too small to run all three at once");
      awaitIdle(tight);
      assertEquals(8, tight.engine().availableBlocks());
      tight.engine().close();
    }
  }

  @Test
  void cancellingMidStreamEndsTheSequenceAndFreesItsBlocks() throws Exception {
    try (ContinuousBatcher b = batcher(32, 8)) {
      Stream s = new Stream();
      CountDownLatch some = new CountDownLatch(5);
      ContinuousBatcher.Handle h =
          b.submit(
              new SequenceRequest(encode("Once upon a time"), SamplingParams.greedy(400)),
              e -> {
                s.accept(e);
                some.countDown();
              });
      assertTrue(some.await(30, TimeUnit.SECONDS));
      h.cancel();
      TokenEvent.Finished end = assertInstanceOf(TokenEvent.Finished.class, s.awaitEnd());
      assertEquals(FinishReason.CANCELLED, end.reason());
      awaitIdle(b);
      assertEquals(32, b.engine().availableBlocks());
      assertEquals(0, b.engine().liveSequences());
      b.engine().close();
    }
  }

  @Test
  void aBurstWhileTheSchedulerIsBusyFillsTheBatchQueuesToTheBoundAndRefusesTheNext()
      throws Exception {
    try (ContinuousBatcher b =
        new ContinuousBatcher(
            new LlamaEngine(model, EngineOptions.defaults().withThreads(2).withKvBlocks(32)),
            new SchedulerOptions(2, 512, 1))) {
      // 30 greedy tokens from BOS end by length (the reference); the first sequence's sink holds
      // the scheduler thread at its first token, then slows each step to 50 ms
      SequenceRequest request = new SequenceRequest(new int[] {1}, SamplingParams.greedy(30));
      CountDownLatch busy = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Stream slow = new Stream();
      ContinuousBatcher.Handle z =
          b.submit(
              request,
              e -> {
                slow.accept(e);
                if (busy.getCount() > 0) {
                  busy.countDown();
                  await(release);
                }
                pause(50);
              });
      assertTrue(busy.await(30, TimeUnit.SECONDS));
      // the scheduler cannot take these yet: the first would have counted as queued and the
      // second been refused, though a batch slot was free for one of them
      Stream second = new Stream();
      Stream third = new Stream();
      ContinuousBatcher.Handle a = b.submit(request, second::accept);
      ContinuousBatcher.Handle c = b.submit(request, third::accept);
      MeshException full =
          assertThrows(MeshException.class, () -> b.submit(request, e -> {}), "2 running + 1");
      assertEquals(ErrorCode.CAPACITY_EXHAUSTED, full.code());
      release.countDown();
      long until = System.nanoTime() + 10_000_000_000L;
      while ((b.running() != 2 || b.waiting() != 1) && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertEquals(2, b.running());
      assertEquals(1, b.waiting());
      assertThrows(MeshException.class, () -> b.submit(request, e -> {}), "still full");
      for (ContinuousBatcher.Handle h : List.of(z, a, c)) {
        h.cancel();
      }
      for (Stream s : List.of(slow, second, third)) {
        TokenEvent.Finished end = assertInstanceOf(TokenEvent.Finished.class, s.awaitEnd());
        assertEquals(FinishReason.CANCELLED, end.reason());
      }
      awaitIdle(b);
      assertEquals(32, b.engine().availableBlocks());
      Stream after = new Stream();
      b.submit(new SequenceRequest(new int[] {1}, SamplingParams.greedy(3)), after::accept);
      assertInstanceOf(TokenEvent.Finished.class, after.awaitEnd(), "places are given back");
      b.engine().close();
    }
  }

  @Test
  void stopStringsEndGenerationAndAreNotEmitted() throws Exception {
    try (ContinuousBatcher b = batcher(32, 8)) {
      Stream s = new Stream();
      SamplingParams params = new SamplingParams(0, 0, 1, 0, 100, List.of(), List.of("Lily"), -1);
      b.submit(new SequenceRequest(new int[] {1}, params), s::accept);
      TokenEvent.Finished end = assertInstanceOf(TokenEvent.Finished.class, s.awaitEnd());
      assertEquals(FinishReason.STOP, end.reason());
      assertEquals("Once upon a time, there was a little girl named ", s.text());
      b.engine().close();
    }
  }

  @Test
  void aPromptThatCanNeverFitIsRejectedAtOnce() {
    try (ContinuousBatcher b = batcher(2, 8)) {
      int[] longPrompt = new int[100];
      java.util.Arrays.fill(longPrompt, 300);
      MeshException e =
          assertThrows(
              MeshException.class,
              () -> b.submit(new SequenceRequest(longPrompt, SamplingParams.greedy(4)), ev -> {}));
      assertEquals(ErrorCode.CAPACITY_EXHAUSTED, e.code());
      int[] beyondContext = new int[600];
      java.util.Arrays.fill(beyondContext, 300);
      assertEquals(
          ErrorCode.CONTEXT_LENGTH_EXCEEDED,
          assertThrows(
                  MeshException.class,
                  () ->
                      b.submit(
                          new SequenceRequest(beyondContext, SamplingParams.greedy(4)), ev -> {}))
              .code());
      b.engine().close();
    }
  }

  @Test
  void aSeedReproducesSampledOutput() throws Exception {
    SamplingParams params = new SamplingParams(0.9, 40, 0.95, 1234, 40, List.of(), List.of(), 3);
    try (ContinuousBatcher b = batcher(32, 8)) {
      Stream first = new Stream();
      b.submit(new SequenceRequest(encode("Once upon a time"), params), first::accept);
      first.awaitEnd();
      Stream second = new Stream();
      b.submit(new SequenceRequest(encode("Once upon a time"), params), second::accept);
      second.awaitEnd();
      assertEquals(java.util.Arrays.toString(first.ids()), java.util.Arrays.toString(second.ids()));
      TokenEvent.Token t = first.tokens.getFirst();
      assertEquals(3, t.topLogprobs().size());
      assertTrue(t.logprob() <= 0);
      b.engine().close();
    }
  }

  static void awaitIdle(ContinuousBatcher b) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while ((b.running() > 0 || b.waiting() > 0 || b.engine().liveSequences() > 0)
        && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }
}
