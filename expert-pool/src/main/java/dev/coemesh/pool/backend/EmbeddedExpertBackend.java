package dev.coemesh.pool.backend;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import dev.coemesh.pool.scheduler.SequenceRequest;
import dev.coemesh.pool.signal.RecentLatencies;
import dev.coemesh.pool.signal.ReplicaAnnouncer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An expert replica served in this JVM by the embedded engine and its continuous batcher. Prompts
 * come as the gateway's token ids (or, untokenized, are tokenized here with BOS) and reuse cached
 * prefixes only within the request's cache scope ({@link GenerationRequest#prefixRoot}); deadlines
 * cancel the sequence; a {@link ReplicaAnnouncer} publishes the KV blocks entering and leaving the
 * prefix cache as {@code mesh.kv-events} and the replica's load (with the TTFT and TPOT of what it
 * served) as {@code mesh.load} every {@link #LOAD_REPORT_PERIOD}, so routers can score prefix
 * affinity and load and expire a replica that stopped reporting.
 */
public final class EmbeddedExpertBackend implements ExpertBackend {
  public static final Duration LOAD_REPORT_PERIOD = ReplicaAnnouncer.PERIOD;

  private final ExpertId expert;
  private final ContinuousBatcher batcher;
  private final LlamaEngine engine;
  private final ScheduledExecutorService deadlines;
  private final RecentLatencies latencies = new RecentLatencies();
  private final ReplicaAnnouncer announcer; // null without signals

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
    this.batcher = new ContinuousBatcher(engine, schedulerOptions);
    this.deadlines =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("deadlines-" + expert).unstarted(r));
    // in process: no endpoint; the first report goes out before any request
    this.announcer =
        signals != null && replica != null
            ? ReplicaAnnouncer.start(replica, null, batcher, latencies, signals, loadReportPeriod)
            : null;
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
              if (event instanceof TokenEvent.Finished finished) {
                latencies.record(finished.timings());
              }
              sink.accept(event);
            });
    timer[0] = deadlines.schedule(handle::cancel, left.toMillis(), TimeUnit.MILLISECONDS);
    return handle;
  }

  @Override
  public void close() {
    if (announcer != null) {
      announcer.close();
    }
    batcher.close();
    deadlines.shutdownNow();
    engine.close();
  }
}
