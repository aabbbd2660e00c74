package dev.coemesh.pool.backend;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.kv.KvBlockListener;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import dev.coemesh.pool.scheduler.SequenceRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An expert replica served in this JVM by the embedded engine and its continuous batcher. Prompts
 * come as the gateway's token ids (or, untokenized, are tokenized here with BOS) and reuse cached
 * prefixes only within the request's cache scope ({@link GenerationRequest#prefixRoot}); deadlines
 * cancel the sequence; KV blocks entering and leaving the prefix cache are published as {@code
 * mesh.kv-events} and the replica's load as {@code mesh.load} every {@link #LOAD_REPORT_PERIOD}, so
 * routers can score prefix affinity and load and expire a replica that stopped reporting.
 */
public final class EmbeddedExpertBackend implements ExpertBackend {
  /** Well inside a router's replica expiry (seconds), cheap (one small event per period). */
  public static final Duration LOAD_REPORT_PERIOD = Duration.ofMillis(500);

  private final ExpertId expert;
  private final ContinuousBatcher batcher;
  private final LlamaEngine engine;
  private final ScheduledExecutorService deadlines;

  public EmbeddedExpertBackend(
      ExpertId expert,
      Model model,
      EngineOptions engineOptions,
      SchedulerOptions schedulerOptions,
      ReplicaId replica,
      SignalBus signals) {
    this(expert, model, engineOptions, schedulerOptions, replica, signals, LOAD_REPORT_PERIOD);
  }

  /**
   * @param replica this replica's id in signals; null (with {@code signals}) for none
   * @param signals where KV-block events and load reports go; null for none
   * @param loadReportPeriod how often the load is reported
   */
  public EmbeddedExpertBackend(
      ExpertId expert,
      Model model,
      EngineOptions engineOptions,
      SchedulerOptions schedulerOptions,
      ReplicaId replica,
      SignalBus signals,
      Duration loadReportPeriod) {
    this.expert = expert;
    this.engine = new LlamaEngine(model, engineOptions);
    if (signals != null && replica != null) {
      engine.setBlockListener(new BlockEvents(replica, signals));
    }
    this.batcher = new ContinuousBatcher(engine, schedulerOptions);
    this.deadlines =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("deadlines-" + expert).unstarted(r));
    if (signals != null && replica != null) {
      // the first report before any request, so a router can route to the replica at once
      signals.publish(loadReport(replica));
      long period = Math.max(1, loadReportPeriod.toMillis());
      deadlines.scheduleAtFixedRate(
          () -> signals.publish(loadReport(replica)), period, period, TimeUnit.MILLISECONDS);
    }
  }

  /** The replica's load now; latencies are not tracked here (0). */
  private SignalEvent.LoadReport loadReport(ReplicaId replica) {
    Capacity c = capacity();
    return new SignalEvent.LoadReport(
        replica,
        c.waitingSequences(),
        c.runningSequences(),
        c.totalKvBlocks() - c.freeKvBlocks(),
        c.freeKvBlocks(),
        0,
        0,
        System.currentTimeMillis());
  }

  public ContinuousBatcher batcher() {
    return batcher;
  }

  @Override
  public ExpertId expert() {
    return expert;
  }

  @Override
  public int contextLength() {
    return engine.contextLength();
  }

  @Override
  public int countTokens(String prompt) {
    return engine.model().tokenizer().encode(prompt, true).length;
  }

  @Override
  public Capacity capacity() {
    return new Capacity(
        batcher.availableBlocks(),
        engine.totalBlocks(),
        batcher.running(),
        batcher.waiting(),
        batcher.maxRunning());
  }

  @Override
  public Generation submit(GenerationRequest request, Consumer<TokenEvent> sink) {
    Duration left = Duration.between(Instant.now(), request.deadline());
    if (left.isNegative() || left.isZero()) {
      throw new MeshException(ErrorCode.DEADLINE_EXCEEDED, "the request's deadline has passed");
    }
    int[] prompt = engine.model().tokenizer().prompt(request);
    ScheduledFuture<?>[] timer = new ScheduledFuture<?>[1];
    ContinuousBatcher.Handle handle =
        batcher.submit(
            new SequenceRequest(prompt, request.sampling(), request.prefixRoot()),
            event -> {
              if (!(event instanceof TokenEvent.Token) && timer[0] != null) {
                timer[0].cancel(false);
              }
              sink.accept(event);
            });
    timer[0] = deadlines.schedule(handle::cancel, left.toMillis(), TimeUnit.MILLISECONDS);
    return handle;
  }

  @Override
  public void close() {
    batcher.close();
    deadlines.shutdownNow();
    engine.close();
  }

  /** Publishes prefix-cache changes; called on the engine thread, never blocks. */
  private record BlockEvents(ReplicaId replica, SignalBus signals) implements KvBlockListener {
    @Override
    public void stored(long blockHash) {
      publish(SignalEvent.KvBlockEvent.Kind.STORED, blockHash);
    }

    @Override
    public void evicted(long blockHash) {
      publish(SignalEvent.KvBlockEvent.Kind.EVICTED, blockHash);
    }

    private void publish(SignalEvent.KvBlockEvent.Kind kind, long blockHash) {
      signals.publish(
          new SignalEvent.KvBlockEvent(
              replica, kind, List.of(blockHash), System.currentTimeMillis()));
    }
  }
}
