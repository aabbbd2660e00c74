package dev.coemesh.planner.sim;

import java.util.List;
import java.util.function.Consumer;

/**
 * A prefill-only replica: it batches queued prompts, emits each one's first token, and hands every
 * unfinished sequence to the decode pool.
 */
final class PrefillReplica extends Replica {
  private final Consumer<Sequence> handoff;

  PrefillReplica(
      Engine engine, EventLoop loop, Consumer<Sequence> finished, Consumer<Sequence> handoff) {
    super(engine, loop, finished);
    this.handoff = handoff;
  }

  @Override
  int load() {
    return waiting.size() + inPrefill;
  }

  @Override
  protected boolean startStep() {
    List<Sequence> batch = takePrefillBatch(0);
    if (batch.isEmpty()) {
      return false;
    }
    runPrefill(batch, handoff);
    return true;
  }
}
