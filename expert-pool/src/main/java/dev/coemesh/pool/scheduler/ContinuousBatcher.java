package dev.coemesh.pool.scheduler;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.request.FinishReason;
import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.request.Usage;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.sampler.Sampler;
import dev.coemesh.pool.sampler.StopMatcher;
import dev.coemesh.pool.tokenizer.Tokenizer;
import dev.coemesh.pool.tokenizer.Utf8Accumulator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Continuous batching over one {@link LlamaEngine}: sequences join and leave the running batch
 * between steps. Each loop iteration cancels what was cancelled, admits waiting sequences while KV
 * blocks suffice for their whole context (admission by blocks, not by count), then runs one batched
 * forward pass in which every decoding sequence advances by one token and the admitted prompts
 * advance by a chunk of at most {@code maxPrefillTokensPerStep} tokens (chunked prefill, as
 * Sarathi-Serve and vLLM do it): a long prompt costs the running sequences one chunk of delay per
 * token they generate instead of its whole prefill at once, which bounds their time per output
 * token.
 *
 * <p>When blocks run out during a step, the most recently admitted sequence is preempted by
 * recompute: its blocks are freed and it goes back to the head of the queue with its prompt and the
 * tokens generated so far, to be prefilled again later (its stream continues without gaps or
 * repeats). A sequence that could not fit even alone fails with {@code CAPACITY_EXHAUSTED}.
 *
 * <p>Thread-safe: {@link #submit} and cancellation may be called from any thread; the engine is
 * driven only by the scheduler thread, which also delivers the events.
 */
public final class ContinuousBatcher implements AutoCloseable, SequenceReplica {
  private static final Logger LOG = Logger.getLogger(ContinuousBatcher.class.getName());

  private final LlamaEngine engine;
  private final Tokenizer tokenizer;
  private final SchedulerOptions options;
  private final ConcurrentLinkedQueue<Active> submitted = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Active> cancelled = new ConcurrentLinkedQueue<>();
  private final ArrayDeque<Active> waiting = new ArrayDeque<>();
  private final List<Active> running = new ArrayList<>();
  private final Thread thread;
  private volatile boolean closed;

  /** Sequences submitted and not yet ended (queued, waiting or running): the admission bound. */
  private final AtomicInteger held = new AtomicInteger();

  private volatile int waitingCount;
  private volatile int runningCount;
  private volatile int availableBlocks;
  private long preemptions;

  public ContinuousBatcher(LlamaEngine engine, SchedulerOptions options) {
    this.engine = engine;
    this.tokenizer = engine.model().tokenizer();
    this.options = options;
    this.availableBlocks = engine.availableBlocks();
    this.thread =
        Thread.ofPlatform().daemon().name("batcher-" + engine.modelName()).start(this::loop);
  }

  /** A submitted sequence: cancel it from any thread. */
  public interface Handle extends ExpertBackend.Generation {}

  /**
   * Queues a sequence; events go to {@code sink} on the scheduler thread, ending with exactly one
   * terminal event. Throws {@code CONTEXT_LENGTH_EXCEEDED} or {@code CAPACITY_EXHAUSTED} at once
   * when the request can never or not now be taken.
   */
  @Override
  public Handle submit(SequenceRequest request, Consumer<TokenEvent> sink) {
    if (closed) {
      throw new MeshException(ErrorCode.NO_HEALTHY_REPLICA, "the engine is shutting down");
    }
    int total = request.promptTokens().length + request.resumeTokens().length;
    if (total >= engine.contextLength()) {
      throw new MeshException(
          ErrorCode.CONTEXT_LENGTH_EXCEEDED,
          "prompt of "
              + total
              + " tokens leaves no room to generate in the model's context of "
              + engine.contextLength()
              + " tokens");
    }
    int blocksAlone = (total + 1 + engine.blockSize() - 1) / engine.blockSize();
    if (blocksAlone > engine.totalBlocks()) {
      throw new MeshException(
          ErrorCode.CAPACITY_EXHAUSTED,
          "prompt needs " + blocksAlone + " KV blocks; the pool has " + engine.totalBlocks());
    }
    if (!hold()) {
      throw new MeshException(ErrorCode.CAPACITY_EXHAUSTED, "engine queue is full");
    }
    Active active = new Active(request, sink, System.nanoTime());
    submitted.add(active);
    LockSupport.unpark(thread);
    return active;
  }

  @Override
  public String name() {
    return thread.getName();
  }

  public int waiting() {
    return waitingCount + submitted.size();
  }

  /**
   * Takes a place for a new sequence if fewer than a full batch plus {@code maxWaiting} are held.
   * Counted exactly, at submission: the scheduler's own counts lag a round behind, so a burst into
   * an idle batch would find the first of it still "waiting" and refuse the second.
   */
  private boolean hold() {
    int limit = options.maxRunning() + options.maxWaiting();
    int now;
    do {
      now = held.get();
      if (now >= limit) {
        return false;
      }
    } while (!held.compareAndSet(now, now + 1));
    return true;
  }

  public int running() {
    return runningCount;
  }

  /** KV blocks available as of the last step (read from any thread). */
  public int availableBlocks() {
    return availableBlocks;
  }

  public int maxRunning() {
    return options.maxRunning();
  }

  public long preemptions() {
    return preemptions;
  }

  public LlamaEngine engine() {
    return engine;
  }

  private void loop() {
    while (!closed) {
      try {
        boolean worked = iterate();
        availableBlocks = engine.availableBlocks();
        waitingCount = waiting.size();
        runningCount = running.size();
        if (!worked) {
          LockSupport.parkNanos(this, 5_000_000);
        }
      } catch (RuntimeException | Error e) {
        LOG.log(Level.SEVERE, "scheduler step failed; failing the running batch", e);
        for (Active a : new ArrayList<>(running)) {
          finishFailed(a, ErrorCode.INTERNAL, "engine step failed: " + e.getMessage());
        }
      }
    }
    for (Active a : new ArrayList<>(running)) {
      finishFailed(a, ErrorCode.NO_HEALTHY_REPLICA, "the engine shut down");
    }
    for (Active a : waiting) {
      a.emit(new TokenEvent.Failed(ErrorCode.NO_HEALTHY_REPLICA, "the engine shut down"));
    }
    Active a;
    while ((a = submitted.poll()) != null) {
      a.emit(new TokenEvent.Failed(ErrorCode.NO_HEALTHY_REPLICA, "the engine shut down"));
    }
  }

  /** One scheduling round; false when there was nothing to do. */
  boolean iterate() {
    Active a;
    while ((a = submitted.poll()) != null) {
      waiting.add(a);
    }
    while ((a = cancelled.poll()) != null) {
      if (waiting.remove(a)) {
        a.finish(FinishReason.CANCELLED);
      } else if (running.remove(a)) {
        engine.free(a.sequence);
        a.finish(FinishReason.CANCELLED);
      }
    }
    boolean admitted = admit();
    boolean stepped = step();
    return admitted || stepped;
  }

  /**
   * Moves waiting sequences into the batch, in order, while KV blocks suffice for their whole
   * uncached context plus the first generated token, counted against what the batch's unfinished
   * prefills still need; their context is computed by {@link #step}, a chunk at a time.
   */
  private boolean admit() {
    int reserved = 0;
    for (Active r : running) {
      if (r.prefilling()) {
        reserved += engine.blocksNeeded(r.sequence, r.prefillLeft() + 1);
      }
    }
    boolean any = false;
    while (!waiting.isEmpty() && running.size() < options.maxRunning()) {
      Active a = waiting.peek();
      int[] context = a.contextTokens();
      int sequence = engine.newSequence(a.request.prefixRoot());
      int reused = importOrReuse(a, sequence, context);
      int toCompute = context.length - reused;
      int needed = engine.blocksNeeded(sequence, toCompute + 1);
      if (needed + reserved > engine.availableBlocks()) {
        engine.free(sequence);
        if (running.isEmpty()) {
          waiting.poll();
          a.emit(
              new TokenEvent.Failed(
                  ErrorCode.CAPACITY_EXHAUSTED, "not enough KV blocks for this prompt"));
          continue;
        }
        break; // wait for running sequences to finish
      }
      waiting.poll();
      a.pendingImport = null; // from now on (e.g. after a preemption) the KV is recomputed
      a.sequence = sequence;
      a.nextToken = -1;
      a.prefill = Arrays.copyOfRange(context, reused, context.length);
      a.prefilled = 0;
      a.cachedTokens = Math.max(a.cachedTokens, Math.min(reused, a.request.promptTokens().length));
      if (a.admittedNanos == 0) {
        a.admittedNanos = System.nanoTime();
      }
      reserved += needed;
      running.add(a);
      any = true;
    }
    return any;
  }

  /**
   * Fills a new sequence with KV computed elsewhere when the request brought some and it fits, else
   * with the longest cached prefix; returns the positions that need no computing.
   */
  private int importOrReuse(Active a, int sequence, int[] context) {
    if (a.pendingImport != null) {
      int[] prompt = a.request.promptTokens();
      try {
        engine.importKv(sequence, a.pendingImport, prompt);
        return prompt.length;
      } catch (MeshException e) {
        // importKv leaves the sequence empty when it throws (no blocks, wrong shape): recompute
        LOG.fine(() -> "KV import failed, recomputing: " + e.getMessage());
        return engine.reusePrefix(sequence, context);
      }
    }
    return engine.reusePrefix(sequence, context);
  }

  /**
   * One batched forward pass: every decoding sequence advances by one token, and prefilling
   * sequences, oldest first, compute the next chunk of their context within {@code
   * maxPrefillTokensPerStep} tokens (chunked prefill: a long prompt delays running sequences by one
   * chunk per step, not by its whole length). A sequence whose context is complete samples its
   * first token from the chunk's logits.
   */
  private boolean step() {
    List<Active> batch = new ArrayList<>(running.size());
    List<int[]> chunks = new ArrayList<>(running.size());
    int budget = options.maxPrefillTokensPerStep();
    for (Active a : running) {
      if (a.nextToken >= 0) {
        batch.add(a);
        chunks.add(new int[] {a.nextToken});
      } else if (a.prefilling() && budget > 0) {
        int n = Math.min(budget, a.prefillLeft());
        batch.add(a);
        chunks.add(Arrays.copyOfRange(a.prefill, a.prefilled, a.prefilled + n));
        budget -= n;
      }
    }
    if (batch.isEmpty()) {
      return false;
    }
    int needed = 0;
    for (int i = 0; i < batch.size(); i++) {
      needed += engine.blocksNeeded(batch.get(i).sequence, chunks.get(i).length);
    }
    while (needed > engine.availableBlocks() && batch.size() > 1) {
      Active victim = batch.removeLast(); // the most recently admitted of the step
      needed -= engine.blocksNeeded(victim.sequence, chunks.removeLast().length);
      preempt(victim);
    }
    if (needed > engine.availableBlocks()) {
      finishFailed(batch.getFirst(), ErrorCode.CAPACITY_EXHAUSTED, "KV blocks exhausted");
      return true;
    }
    int[] ids = new int[batch.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = batch.get(i).sequence;
    }
    float[][] logits = engine.stepReused(ids, chunks.toArray(int[][]::new)); // sampled at once
    for (int i = 0; i < ids.length; i++) {
      Active a = batch.get(i);
      if (a.prefilling()) {
        a.prefilled += chunks.get(i).length;
        if (a.prefilling()) {
          continue; // more chunks to come
        }
        a.prefill = null;
      } else {
        a.committed(a.nextToken);
      }
      accept(a, logits[i]);
    }
    return true;
  }

  private void preempt(Active victim) {
    running.remove(victim);
    engine.free(victim.sequence);
    victim.sequence = -1;
    victim.prefill = null; // re-admission prefills its whole context again
    waiting.addFirst(victim);
    preemptions++;
  }

  /** Samples the sequence's next token from its logits and handles stop conditions. */
  private void accept(Active a, float[] logits) {
    Sampler.Pick pick = a.sampler.sample(logits);
    int token = pick.token();
    long now = System.nanoTime();
    if (tokenizer.isEndOfSequence(token) || a.request.sampling().stopTokenIds().contains(token)) {
      complete(a, FinishReason.STOP);
      return;
    }
    a.onToken(token, pick, tokenizer, now);
    if (a.stop.stopped()) {
      complete(a, FinishReason.STOP);
    } else if (a.generatedCount() >= a.request.sampling().maxTokens()
        || engine.length(a.sequence) + 1 >= engine.contextLength()) {
      complete(a, FinishReason.LENGTH);
    } else {
      a.nextToken = token;
    }
  }

  private void complete(Active a, FinishReason reason) {
    running.remove(a);
    if (a.request.kvSink() != null) {
      try {
        a.request.kvSink().accept(engine.exportKv(a.sequence));
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "KV sink failed", e);
      }
    }
    engine.free(a.sequence);
    a.finish(reason);
  }

  private void finishFailed(Active a, ErrorCode code, String message) {
    running.remove(a);
    if (a.sequence >= 0) {
      engine.free(a.sequence);
    }
    a.emit(new TokenEvent.Failed(code, message));
  }

  /** Whether {@link #close} has been called (the scheduler may still be finishing its step). */
  public boolean closing() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A sequence in the scheduler. Fields other than {@code cancelRequested} are scheduler-thread
   * only.
   */
  private final class Active implements Handle {
    final SequenceRequest request;
    final Consumer<TokenEvent> sink;
    final long arrivalNanos;
    final Sampler sampler;
    final StopMatcher stop;
    final Utf8Accumulator utf8 = new Utf8Accumulator();
    final List<Integer> generated = new ArrayList<>();
    int sequence = -1;
    int nextToken = -1;
    int cachedTokens;

    /** The context still to compute after admission (null once computed), and how much is. */
    int[] prefill;

    int prefilled;
    long admittedNanos;
    long firstTokenNanos;
    long lastTokenNanos;
    int previousToken;
    TokenEvent.Token pending;
    KvTensor pendingImport;
    boolean done;
    volatile boolean cancelRequested;

    Active(SequenceRequest request, Consumer<TokenEvent> sink, long arrivalNanos) {
      this.request = request;
      this.sink = sink;
      this.arrivalNanos = arrivalNanos;
      this.sampler = new Sampler(request.sampling());
      // continue the random stream where the tokens generated elsewhere left it
      sampler.skip(request.resumeTokens().length);
      this.pendingImport = request.importedKv();
      this.stop = new StopMatcher(request.sampling().stopStrings());
      for (int t : request.resumeTokens()) {
        generated.add(t);
      }
      int[] prompt = request.promptTokens();
      this.previousToken = generated.isEmpty() ? prompt[prompt.length - 1] : generated.getLast();
    }

    int generatedCount() {
      return generated.size();
    }

    boolean prefilling() {
      return prefill != null && prefilled < prefill.length;
    }

    int prefillLeft() {
      return prefill == null ? 0 : prefill.length - prefilled;
    }

    /**
     * Prompt plus every token generated so far: what a (re-)admitted sequence prefills, so that the
     * next sample continues exactly where the stream stopped.
     */
    int[] contextTokens() {
      int[] prompt = request.promptTokens();
      int[] out = Arrays.copyOf(prompt, prompt.length + generated.size());
      for (int i = 0; i < generated.size(); i++) {
        out[prompt.length + i] = generated.get(i);
      }
      return out;
    }

    void committed(int token) {
      nextToken = -1;
    }

    void onToken(int token, Sampler.Pick pick, Tokenizer tok, long now) {
      if (firstTokenNanos == 0) {
        firstTokenNanos = now;
      }
      lastTokenNanos = now;
      int index = generated.size();
      generated.add(token);
      String released = stop.accept(utf8.append(tok.tokenBytes(previousToken, token)));
      previousToken = token;
      List<TokenEvent.TopLogprob> top = new ArrayList<>(pick.topTokens().length);
      for (int i = 0; i < pick.topTokens().length; i++) {
        int alt = pick.topTokens()[i];
        top.add(
            new TokenEvent.TopLogprob(
                alt,
                new String(tok.tokenBytes(-1, alt), StandardCharsets.UTF_8),
                pick.topLogprobs()[i]));
      }
      if (pending != null) {
        emit(pending);
        pending = null;
      }
      TokenEvent.Token event = new TokenEvent.Token(index, token, released, pick.logprob(), top);
      // While text is held back (a possible stop string, an incomplete character) the event waits,
      // so that the text released when generation ends can ride on it.
      if (stop.stopped() || stop.holding() || utf8.holding()) {
        pending = event;
      } else {
        emit(event);
      }
    }

    void finish(FinishReason reason) {
      String tail = reason == FinishReason.CANCELLED ? "" : utf8.flush();
      tail = stop.stopped() ? "" : stop.accept(tail) + stop.flush();
      if (pending != null) {
        emit(
            new TokenEvent.Token(
                pending.index(),
                pending.tokenId(),
                pending.text() + tail,
                pending.logprob(),
                pending.topLogprobs()));
        pending = null;
      }
      long end = lastTokenNanos == 0 ? System.nanoTime() : lastTokenNanos;
      double queueMs = ((admittedNanos == 0 ? end : admittedNanos) - arrivalNanos) / 1e6;
      double ttftMs = firstTokenNanos == 0 ? Double.NaN : (firstTokenNanos - arrivalNanos) / 1e6;
      int newTokens = generated.size() - request.resumeTokens().length;
      double tpotMs = RequestTimings.tpot(firstTokenNanos, lastTokenNanos, newTokens);
      emit(
          new TokenEvent.Finished(
              reason,
              new Usage(request.promptTokens().length, generated.size(), cachedTokens),
              RequestTimings.colocated(queueMs, ttftMs, tpotMs)));
    }

    void emit(TokenEvent event) {
      if (done) {
        return;
      }
      if (!(event instanceof TokenEvent.Token)) {
        done = true;
        held.decrementAndGet();
      }
      try {
        sink.accept(event);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "token sink failed; cancelling the sequence", e);
        cancel();
      }
    }

    @Override
    public void cancel() {
      if (!cancelRequested) {
        cancelRequested = true;
        cancelled.add(this);
        LockSupport.unpark(thread);
      }
    }
  }
}
