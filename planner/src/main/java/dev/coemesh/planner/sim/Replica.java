package dev.coemesh.planner.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One simulated engine: it runs one step at a time and picks the next step when the last ends.
 * Subclasses decide what a step is and how much KV cache a sequence reserves here.
 *
 * <p>KV memory: a sequence is admitted (to a prefill batch or a decode batch) only when its
 * reservation fits in {@link BatchLimits#kvCapacityTokens()} minus what the resident sequences
 * hold; otherwise it waits, and so does everything queued behind it (FCFS). The reservation is
 * taken whole at admission, so no sequence is ever preempted: vLLM instead grows a sequence's
 * blocks one at a time and preempts on overflow, which admits more sequences early and then
 * recomputes some. Reserving whole is the simpler bound of the two.
 */
abstract sealed class Replica permits ColocatedReplica, PrefillReplica, DecodeReplica {
  protected final Engine engine;
  protected final EventLoop loop;
  private final Consumer<Sequence> finished;
  protected final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
  private boolean busy;
  private long kvUsedTokens;

  Replica(Engine engine, EventLoop loop, Consumer<Sequence> finished) {
    this.engine = engine;
    this.loop = loop;
    this.finished = finished;
  }

  /** In-progress plus queued sequences: what dispatch balances, as DistServe's simulator does. */
  abstract int load();

  /** Starts a step if there is work; returns false when idle. */
  protected abstract boolean startStep();

  /** The KV tokens {@code sequence} holds on this replica from admission until it leaves. */
  protected abstract long kvReservation(Sequence sequence);

  void enqueue(Sequence sequence) {
    if (kvReservation(sequence) > engine.limits().kvCapacityTokens()) {
      throw new IllegalStateException(
          "request "
              + sequence.request.id()
              + " needs "
              + kvReservation(sequence)
              + " KV tokens, more than a replica holds");
    }
    waiting.addLast(sequence);
    kick();
  }

  protected final void kick() {
    if (!busy) {
      busy = startStep();
    }
  }

  /** KV tokens held by resident sequences. */
  final long kvUsedTokens() {
    return kvUsedTokens;
  }

  /** Reserves {@code sequence}'s KV if it fits; false leaves it waiting. */
  protected final boolean tryReserveKv(Sequence sequence) {
    long tokens = kvReservation(sequence);
    if (kvUsedTokens + tokens > engine.limits().kvCapacityTokens()) {
      return false;
    }
    kvUsedTokens += tokens;
    return true;
  }

  /**
   * Frees {@code sequence}'s KV here and looks for work it was blocking (a no-op during a step's
   * end, which looks for the next step itself).
   */
  protected final void releaseKv(Sequence sequence) {
    kvUsedTokens -= kvReservation(sequence);
    kick();
  }

  /** The sequence emitted its last token: it frees its KV here and its outcome is recorded. */
  protected final void finish(Sequence sequence) {
    releaseKv(sequence);
    finished.accept(sequence);
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
   * sequences already resident), the prompt-token budget and the free KV. A prompt longer than the
   * budget runs alone, since there is no chunked prefill.
   */
  protected final List<Sequence> takePrefillBatch(int running) {
    BatchLimits limits = engine.limits();
    List<Sequence> batch = new ArrayList<>();
    long tokens = 0;
    while (!waiting.isEmpty() && running + batch.size() < limits.maxBatchSize()) {
      Sequence next = waiting.peekFirst();
      int length = next.request.inputTokens();
      if (!batch.isEmpty() && tokens + length > limits.maxPrefillTokens()) {
        break;
      }
      if (!tryReserveKv(next)) {
        break;
      }
      tokens += length;
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
    runPrefill(batch, unfinished, 0);
  }

  /** As above, with {@code extraMs} of other work on this replica inside the step. */
  protected final void runPrefill(
      List<Sequence> batch, Consumer<Sequence> unfinished, double extraMs) {
    inPrefill = batch.size();
    runStep(
        prefillMs(batch) + extraMs,
        () -> {
          inPrefill = 0;
          emitFirstTokens(batch, unfinished);
        });
  }

  /** Each prompt's first token; one that wants more goes to {@code unfinished}. */
  protected final void emitFirstTokens(List<Sequence> batch, Consumer<Sequence> unfinished) {
    double now = loop.nowMs();
    for (Sequence sequence : batch) {
      if (sequence.emitToken(now)) {
        finish(sequence);
      } else {
        unfinished.accept(sequence);
      }
    }
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
    List<Sequence> done = new ArrayList<>();
    running.removeIf(
        sequence -> {
          boolean last = sequence.emitToken(now);
          if (last) {
            done.add(sequence);
          }
          return last;
        });
    done.forEach(this::finish);
  }
}
