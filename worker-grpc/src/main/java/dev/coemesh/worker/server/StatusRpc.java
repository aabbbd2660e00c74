package dev.coemesh.worker.server;

import dev.coemesh.kv.codec.CodecLevel;
import dev.coemesh.kv.control.HandoffController;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.worker.FallbackReason;
import dev.coemesh.worker.v1.HealthReply;
import dev.coemesh.worker.v1.HealthRequest;
import dev.coemesh.worker.v1.LoadReply;
import dev.coemesh.worker.v1.LoadRequest;
import dev.coemesh.worker.v1.WorkerStatusGrpc;
import io.grpc.stub.StreamObserver;
import java.util.Locale;

/** {@code Health} and {@code Load}: what routers weigh and what leak checks read. */
public class StatusRpc extends WorkerStatusGrpc.WorkerStatusImplBase {
  private final WorkerRuntime runtime;

  public StatusRpc(WorkerRuntime runtime) {
    this.runtime = runtime;
  }

  @Override
  public void health(HealthRequest request, StreamObserver<HealthReply> out) {
    out.onNext(
        HealthReply.newBuilder()
            .setServing(true)
            .setRole(runtime.settings().role().wireName())
            .setModel(runtime.model().name())
            .setModelFingerprint(runtime.model().fingerprint().value())
            .build());
    out.onCompleted();
  }

  @Override
  public void load(LoadRequest request, StreamObserver<LoadReply> out) {
    ContinuousBatcher batcher = runtime.batcher();
    LlamaEngine engine = batcher.engine();
    LoadReply.Builder load =
        LoadReply.newBuilder()
            .setRunningSequences(batcher.running())
            .setWaitingSequences(batcher.waiting())
            .setMaxRunningSequences(batcher.maxRunning())
            .setTotalKvBlocks(engine.totalBlocks())
            .setAvailableKvBlocks(batcher.availableBlocks())
            .setLiveSequences(engine.liveSequences());
    for (FallbackReason reason : FallbackReason.values()) {
      load.putFallbacks(reason.name().toLowerCase(Locale.ROOT), runtime.decode().fallbacks(reason));
    }
    HandoffController handoff = runtime.prefill().handoff();
    for (CodecLevel level : CodecLevel.values()) {
      load.putKvLevels("level_" + level.id(), handoff.decisions(level));
    }
    load.putKvLevels("text", handoff.textDecisions());
    out.onNext(load.build());
    out.onCompleted();
  }
}
