package dev.coemesh.planner.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A replica that runs both phases. Each step is either a prefill batch or a decode step; queued
 * prompts go first (as vLLM schedules), so a prefill delays every running decode: the interference
 * that disaggregation removes. A sequence reserves its whole final context (prompt plus output)
 * when its prefill is admitted, and holds it until its last token.
 */
final class ColocatedReplica extends Replica {
  private final List<Sequence> running = new ArrayList<>();

  ColocatedReplica(Engine engine, EventLoop loop, Consumer<Sequence> finished) {
    super(engine, loop, finished);
  }

  @Override
  int load() {
    return waiting.size() + inPrefill + running.size();
  }

  @Override
  protected long kvReservation(Sequence sequence) {
    return sequence.finalContextTokens();
  }

  @Override
  protected boolean startStep() {
    List<Sequence> batch = takePrefillBatch(running.size());
    if (!batch.isEmpty()) {
      runPrefill(batch, running::add);
      return true;
    }
    if (!running.isEmpty()) {
      runStep(decodeMs(running), () -> emitDecodeTokens(running));
      return true;
    }
    return false;
  }
}
