package dev.coemesh.planner.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A decode-only replica: arrived sequences join the running batch FCFS within the batch size and
 * context-token budget and the free KV; each step emits one token per running sequence. A sequence
 * reserves its whole final context when it joins, and holds it until its last token.
 */
final class DecodeReplica extends Replica {
  private final List<Sequence> running = new ArrayList<>();
  private int incoming;
  private double codecBacklogMs;

  DecodeReplica(Engine engine, EventLoop loop, Consumer<Sequence> finished) {
    super(engine, loop, finished);
  }

  /** Counts KV transfers under way to this replica, so two handoffs in a row spread out. */
  @Override
  int load() {
    return incoming + waiting.size() + running.size();
  }

  /** A transfer to this replica has started; it ends with {@link #arrive}. */
  void expect() {
    incoming++;
  }

  /**
   * The KV has landed; decoding it with the codec takes this replica's time before its next step.
   */
  void arrive(Sequence sequence) {
    incoming--;
    codecBacklogMs += engine.handoff().decode().ms(sequence.request.inputTokens());
    enqueue(sequence);
  }

  @Override
  protected long kvReservation(Sequence sequence) {
    return sequence.finalContextTokens();
  }

  @Override
  protected boolean startStep() {
    admit();
    if (running.isEmpty()) {
      return false;
    }
    double backlog = codecBacklogMs;
    codecBacklogMs = 0;
    runStep(backlog + decodeMs(running), () -> emitDecodeTokens(running));
    return true;
  }

  private void admit() {
    BatchLimits limits = engine.limits();
    long context = 0;
    for (Sequence sequence : running) {
      context += sequence.contextTokens();
    }
    while (!waiting.isEmpty() && running.size() < limits.maxBatchSize()) {
      long next = waiting.peekFirst().contextTokens();
      if (!running.isEmpty() && context + next > limits.maxDecodeContextTokens()) {
        break;
      }
      if (!tryReserveKv(waiting.peekFirst())) {
        break;
      }
      context += next;
      running.add(waiting.pollFirst());
    }
  }
}
