package dev.coemesh.worker.server;

import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.kv.codec.CodecLevel;
import dev.coemesh.kv.control.HandoffController;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.signal.RecentLatencies;
import dev.coemesh.pool.worker.FallbackReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * A worker's Micrometer meters. Stage timers ({@code mesh.worker.queue}, {@code .ttft}, {@code
 * .tpot}, {@code mesh.kv.encode}, {@code .transfer}, {@code .decode}) are tagged by {@code mode}
 * (prefill | decode | colocated); text fallbacks ({@code mesh.decode.fallbacks}) by {@code reason};
 * prefill's handoff decisions ({@code mesh.kv.level}, read from its {@link HandoffController}) by
 * {@code level} (0 | 1 | 2 | 3 | text); engine gauges ({@code mesh.worker.running}, {@code
 * .waiting}, {@code .kv.blocks.available}) are read from the batcher. Labels come from closed sets
 * only. The same timings feed {@link #recent()}, the TTFT and TPOT this replica reports in its
 * {@code mesh.load} signal.
 */
public final class WorkerMetrics {
  /** How a request was served on this replica (a metric label). */
  public enum Mode {
    PREFILL,
    DECODE,
    COLOCATED;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Map<Mode, Timer[]> timers = new EnumMap<>(Mode.class);
  private final Map<FallbackReason, Counter> fallbacks = new EnumMap<>(FallbackReason.class);
  private final RecentLatencies recent = new RecentLatencies();

  public WorkerMetrics(MeterRegistry registry, WorkerRuntime runtime) {
    ContinuousBatcher batcher = runtime.batcher();
    HandoffController handoff = runtime.prefill().handoff();
    for (Mode mode : Mode.values()) {
      String[] names = {
        "mesh.worker.queue",
        "mesh.worker.ttft",
        "mesh.worker.tpot",
        "mesh.kv.encode",
        "mesh.kv.transfer",
        "mesh.kv.decode"
      };
      Timer[] stage = new Timer[names.length];
      for (int i = 0; i < names.length; i++) {
        stage[i] =
            Timer.builder(names[i])
                .tag("mode", mode.label())
                .publishPercentileHistogram()
                .register(registry);
      }
      timers.put(mode, stage);
    }
    for (FallbackReason reason : FallbackReason.values()) {
      fallbacks.put(
          reason,
          Counter.builder("mesh.decode.fallbacks")
              .description("decodes that recomputed the prompt instead of using the handed-over KV")
              .tag("reason", reason.name().toLowerCase(java.util.Locale.ROOT))
              .register(registry));
    }
    String levelHelp =
        "prompts whose KV prefill shipped at this codec level, or (text) did not ship";
    for (CodecLevel level : CodecLevel.values()) {
      FunctionCounter.builder("mesh.kv.level", handoff, h -> h.decisions(level))
          .description(levelHelp)
          .tag("level", Integer.toString(level.id()))
          .register(registry);
    }
    FunctionCounter.builder("mesh.kv.level", handoff, HandoffController::textDecisions)
        .description(levelHelp)
        .tag("level", "text")
        .register(registry);
    Gauge.builder("mesh.worker.running", batcher, ContinuousBatcher::running).register(registry);
    Gauge.builder("mesh.worker.waiting", batcher, ContinuousBatcher::waiting).register(registry);
    Gauge.builder("mesh.worker.kv.blocks.available", batcher, ContinuousBatcher::availableBlocks)
        .register(registry);
  }

  /** Records one request's stage times; stages that did not run (NaN) are skipped. */
  public void served(Mode mode, RequestTimings t) {
    recent.record(t);
    Timer[] stage = timers.get(mode);
    double[] ms = {
      t.queueMs(), t.ttftMs(), t.tpotMs(), t.kvEncodeMs(), t.kvTransferMs(), t.kvDecodeMs()
    };
    for (int i = 0; i < ms.length; i++) {
      if (Double.isFinite(ms[i]) && ms[i] >= 0) {
        stage[i].record(Duration.ofNanos((long) (ms[i] * 1e6)));
      }
    }
  }

  /** Recent TTFT and TPOT of every request served here, whatever its mode. */
  public RecentLatencies recent() {
    return recent;
  }

  public void fallback(FallbackReason reason) {
    fallbacks.get(reason).increment();
  }
}
