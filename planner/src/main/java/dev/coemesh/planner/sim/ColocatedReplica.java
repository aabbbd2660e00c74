package dev.coemesh.planner.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A replica that runs both phases, scheduled by the engine's {@link ColocatedPolicy}. Under {@code
 * PREFILL_FIRST} each step is either a prefill batch or a decode step and queued prompts go first
 * (as vLLM schedules), so a prefill delays every running decode by its whole length; under {@code
 * MIXED} prompts ride along in the decode steps and delay them by their share of the step. Either
 * way this is the interference that disaggregation removes. A sequence reserves its whole final
 * context (prompt plus output) when its prefill is admitted, and holds it until its last token.
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
    return switch (engine.colocated()) {
      case PREFILL_FIRST -> prefillFirstStep();
      case MIXED -> mixedStep();
    };
  }

  private boolean mixedStep() {
    List<Sequence> batch = takePrefillBatch(running.size());
    if (batch.isEmpty() && running.isEmpty()) {
      return false;
    }
    List<Sequence> decoding = List.copyOf(running);
    long context = 0;
    for (Sequence sequence : decoding) {
      context += sequence.contextTokens();
    }
    int[] lengths = new int[batch.size()];
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = batch.get(i).request.inputTokens();
    }
    inPrefill = batch.size();
    double ms = engine.latency().mixedStepMs(lengths, decoding.size(), context);
    runStep(
        ms,
        () -> {
          inPrefill = 0;
          emitDecodeTokens(running);
          emitFirstTokens(batch, running::add);
        });
    return true;
  }

  private boolean prefillFirstStep() {
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
