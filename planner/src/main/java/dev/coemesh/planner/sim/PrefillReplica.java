package dev.coemesh.planner.sim;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A prefill-only replica: it batches queued prompts, emits each one's first token, and hands every
 * unfinished sequence to the decode pool. A prompt's KV stays here from admission until its
 * transfer has landed on the decode replica ({@link #transferred}), as in DistServe's engine, where
 * the blocks are freed only after the decode side has pulled them.
 */
final class PrefillReplica extends Replica {
  private final BiConsumer<PrefillReplica, Sequence> handoff;

  PrefillReplica(
      Engine engine,
      EventLoop loop,
      Consumer<Sequence> finished,
      BiConsumer<PrefillReplica, Sequence> handoff) {
    super(engine, loop, finished);
    this.handoff = handoff;
  }

  @Override
  int load() {
    return waiting.size() + inPrefill;
  }

  @Override
  protected long kvReservation(Sequence sequence) {
    return sequence.request.inputTokens();
  }

  /** The sequence's KV has reached its decode replica: its blocks here are free. */
  void transferred(Sequence sequence) {
    releaseKv(sequence);
  }

  @Override
  protected boolean startStep() {
    List<Sequence> batch = takePrefillBatch(0);
    if (batch.isEmpty()) {
      return false;
    }
    // the codec encodes each prompt's KV on this replica before its first token goes out
    double encodeMs = 0;
    for (Sequence sequence : batch) {
      if (sequence.request.outputTokens() > 1) {
        encodeMs += engine.handoff().encode().ms(sequence.request.inputTokens());
      }
    }
    runPrefill(batch, sequence -> handoff.accept(this, sequence), encodeMs);
    return true;
  }
}
