package dev.coemesh.planner.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One simulated engine: it runs one step at a time and picks the next step when the last ends.
 * Subclasses decide what a step is.
 */
abstract sealed class Replica permits ColocatedReplica, PrefillReplica, DecodeReplica {
  protected final Engine engine;
  protected final EventLoop loop;
  protected final Consumer<Sequence> finished;
  protected final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
  private boolean busy;

  Replica(Engine engine, EventLoop loop, Consumer<Sequence> finished) {
    this.engine = engine;
    this.loop = loop;
    this.finished = finished;
  }

  /** In-progress plus queued sequences: what dispatch balances, as DistServe's simulator does. */
  abstract int load();

  /** Starts a step if there is work; returns false when idle. */
  protected abstract boolean startStep();

  void enqueue(Sequence sequence) {
    waiting.addLast(sequence);
    kick();
  }

  protected final void kick() {
    if (!busy) {
      busy = startStep();
    }
  }

  /** Schedules the end of a step that lasts {@code durationMs}, then looks for the next one. */
  protected final void runStep(double durationMs, Runnable onEnd) {
    loop.at(
        loop.nowMs() + durationMs,
        () -> {
          onEnd.run();
          busy = false;
          kick();
        });
  }

  /**
   * Takes queued prompts FCFS while the batch stays within the size (counting {@code running}
   * sequences already resident) and the prompt-token budget. A prompt longer than the budget runs
   * alone, since there is no chunked prefill.
   */
  protected final List<Sequence> takePrefillBatch(int running) {
    BatchLimits limits = engine.limits();
    List<Sequence> batch = new ArrayList<>();
    long tokens = 0;
    while (!waiting.isEmpty() && running + batch.size() < limits.maxBatchSize()) {
      int next = waiting.peekFirst().request.inputTokens();
      if (!batch.isEmpty() && tokens + next > limits.maxPrefillTokens()) {
        break;
      }
      tokens += next;
      batch.add(waiting.pollFirst());
    }
    return batch;
  }

  /** Prompts in the prefill step now running (0 between steps). */
  protected int inPrefill;

  /**
   * Runs {@code batch}'s prefill as one step; at its end each prompt has its first token, and one
   * that wants more goes to {@code unfinished} (this replica's decode, or a handoff).
   */
  protected final void runPrefill(List<Sequence> batch, Consumer<Sequence> unfinished) {
    inPrefill = batch.size();
    runStep(
        prefillMs(batch),
        () -> {
          inPrefill = 0;
          double now = loop.nowMs();
          for (Sequence sequence : batch) {
            if (sequence.emitToken(now)) {
              finished.accept(sequence);
            } else {
              unfinished.accept(sequence);
            }
          }
        });
  }

  protected final double prefillMs(List<Sequence> batch) {
    int[] lengths = new int[batch.size()];
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = batch.get(i).request.inputTokens();
    }
    return engine.latency().prefillMs(lengths);
  }

  protected final double decodeMs(List<Sequence> running) {
    long context = 0;
    for (Sequence sequence : running) {
      context += sequence.contextTokens();
    }
    return engine.latency().decodeStepMs(running.size(), context);
  }

  /** One decode token for each running sequence; the finished ones leave {@code running}. */
  protected final void emitDecodeTokens(List<Sequence> running) {
    double now = loop.nowMs();
    running.removeIf(
        sequence -> {
          boolean done = sequence.emitToken(now);
          if (done) {
            finished.accept(sequence);
          }
          return done;
        });
  }
}
