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
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * A worker's Micrometer meters, every one tagged {@code expert} (the expert it serves, from the
 * routing config) and {@code role} (colocated | prefill | decode); the catalogue with Prometheus
 * names is observability/METRICS.md. Stage timers ({@code mesh.worker.queue}, {@code .ttft}, {@code
 * .tpot}, {@code mesh.kv.encode}, {@code .transfer}, {@code .decode}) are tagged by {@code mode}
 * (prefill | decode | colocated); text fallbacks ({@code mesh.decode.fallbacks}) by {@code reason};
 * prefill's handoff decisions ({@code mesh.kv.level}) by {@code level} (0 | 1 | 2 | 3 | text) and
 * the KV it shipped ({@code mesh.kv.handoff}, bytes) by {@code kind} (raw | encoded), both read
 * from its {@link HandoffController}. The engine gauges carry vLLM's meanings under vLLM's names
 * ({@code mesh.worker.num_requests_waiting}, {@code .num_requests_running}, {@code
 * .kv_cache_usage_perc}), the ones inference gateways scrape from model servers. The same timings
 * feed {@link #recent()}, the TTFT and TPOT this replica reports in its {@code mesh.load} signal.
 */
public final class WorkerMetrics {
  /** How a request was served on this replica (a metric label). */
  public enum Mode {
    PREFILL,
    DECODE,
    COLOCATED;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final String[] STAGES = {
    "mesh.worker.queue",
    "mesh.worker.ttft",
    "mesh.worker.tpot",
    "mesh.kv.encode",
    "mesh.kv.transfer",
    "mesh.kv.decode"
  };

  private final Map<Mode, Timer[]> timers = new EnumMap<>(Mode.class);
  private final Map<FallbackReason, Counter> fallbacks = new EnumMap<>(FallbackReason.class);
  private final RecentLatencies recent = new RecentLatencies();

  /**
   * @param expert the expert this worker serves (bounded by the routing config)
   */
  public WorkerMetrics(MeterRegistry registry, WorkerRuntime runtime, String expert) {
    ContinuousBatcher batcher = runtime.batcher();
    HandoffController handoff = runtime.prefill().handoff();
    Tags base =
        Tags.of(
            "expert", expert, "role", runtime.settings().role().name().toLowerCase(Locale.ROOT));
    for (Mode mode : Mode.values()) {
      Timer[] stage = new Timer[STAGES.length];
      for (int i = 0; i < STAGES.length; i++) {
        stage[i] =
            Timer.builder(STAGES[i])
                .tags(base)
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
              .tags(base)
              .tag("reason", reason.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
    String levelHelp =
        "prompts whose KV prefill shipped at this codec level, or (text) did not ship";
    for (CodecLevel level : CodecLevel.values()) {
      FunctionCounter.builder("mesh.kv.level", handoff, h -> h.decisions(level))
          .description(levelHelp)
          .tags(base)
          .tag("level", Integer.toString(level.id()))
          .register(registry);
    }
    FunctionCounter.builder("mesh.kv.level", handoff, HandoffController::textDecisions)
        .description(levelHelp)
        .tags(base)
        .tag("level", "text")
        .register(registry);
    int bytesPerValue = runtime.settings().kvPrecision().bytes();
    FunctionCounter.builder(
            "mesh.kv.handoff", handoff, h -> (double) h.encodedValues() * bytesPerValue)
        .description("KV prefill shipped to decode: as the engine held it (raw) or encoded")
        .baseUnit("bytes")
        .tags(base)
        .tag("kind", "raw")
        .register(registry);
    FunctionCounter.builder("mesh.kv.handoff", handoff, HandoffController::encodedBytes)
        .description("KV prefill shipped to decode: as the engine held it (raw) or encoded")
        .baseUnit("bytes")
        .tags(base)
        .tag("kind", "encoded")
        .register(registry);
    Gauge.builder("mesh.worker.num_requests_waiting", batcher, ContinuousBatcher::waiting)
        .description("requests waiting for a batch slot (vLLM num_requests_waiting)")
        .tags(base)
        .register(registry);
    Gauge.builder("mesh.worker.num_requests_running", batcher, ContinuousBatcher::running)
        .description("requests in the running batch (vLLM num_requests_running)")
        .tags(base)
        .register(registry);
    int blocks = runtime.settings().kvBlocks();
    Gauge.builder(
            "mesh.worker.kv_cache_usage_perc",
            batcher,
            b -> blocks == 0 ? 0 : 1 - (double) b.availableBlocks() / blocks)
        .description("fraction of KV-cache blocks in use, 0..1 (vLLM kv_cache_usage_perc)")
        .tags(base)
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
