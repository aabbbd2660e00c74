package dev.coemesh.router;

import dev.coemesh.core.config.ConfigWatcher;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.expert.ServingMode;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.router.classify.CategoryModel;
import dev.coemesh.router.classify.Embedder;
import dev.coemesh.router.classify.StrongWinRate;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import dev.coemesh.router.decide.DisaggregationDecider;
import dev.coemesh.router.replica.ReplicaRegistry;
import dev.coemesh.router.replica.ReplicaView;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;

/**
 * The Composition-of-Experts router as a library: {@link #route} decides, per request, the expert
 * (step 1: overrides, else the embedding classifier with its confidence threshold and fallback,
 * then the category's route, possibly a calibrated strong/weak pair) and the replica(s) (step 2:
 * filters, weighted scorers, picker, disaggregation decider), and records the decision as span
 * attributes and a {@code mesh.routing} signal.
 *
 * <p>Thread-safe and lock-free on the request path: {@link #route} reads one immutable state
 * (config, trained classifier, plugins) that {@link #reload} replaces atomically, so requests in
 * flight finish on the config they started with. The prompt embedding runs on the caller's thread
 * outside any lock. Replica state comes from {@link #onSignal} (load reports and KV-block events)
 * and {@link #recordOutcome} (circuit breakers).
 */
public final class Router implements AutoCloseable {
  private static final String INSTRUMENTATION = "dev.coemesh.router";

  /** Everything a decision reads, swapped as a whole on reload. */
  private record State(
      RoutingConfig config,
      CategoryModel model,
      ReplicaSelector selector,
      DisaggregationDecider decider) {}

  private final Embedder embedder;
  private final ReplicaRegistry registry;
  private final RandomGenerator random;
  private final Tracer tracer;
  private final DecisionRecorder recorder;
  private final AtomicReference<State> state = new AtomicReference<>();
  private final Object reloadLock = new Object();
  private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();

  private Router(Builder b) {
    this.embedder = b.embedder;
    this.registry =
        new ReplicaRegistry(b.replicaExpiry, b.breakerFailures, b.breakerCooldown, b.clock);
    this.random = b.random;
    this.tracer = b.openTelemetry.getTracer(INSTRUMENTATION);
    this.recorder = new DecisionRecorder(b.signalBus, b.clock);
    this.state.set(compile(b.config));
  }

  public static Builder builder(RoutingConfig config, Embedder embedder) {
    return new Builder(config, embedder);
  }

  /** Options of a router; the defaults suit the embedded mesh. */
  public static final class Builder {
    private final RoutingConfig config;
    private final Embedder embedder;
    private SignalBus signalBus;
    private OpenTelemetry openTelemetry = OpenTelemetry.noop();
    private Clock clock = Clock.systemUTC();
    private RandomGenerator random = new ThreadLocalRandomGenerator();
    private Duration replicaExpiry = Duration.ofSeconds(10);
    private int breakerFailures = 5;
    private Duration breakerCooldown = Duration.ofSeconds(10);

    private Builder(RoutingConfig config, Embedder embedder) {
      this.config = Objects.requireNonNull(config, "config");
      this.embedder = Objects.requireNonNull(embedder, "embedder");
    }

    /** Where decisions are published as {@code SignalEvent.RoutingDecision}; none by default. */
    public Builder signalBus(SignalBus bus) {
      this.signalBus = bus;
      return this;
    }

    public Builder openTelemetry(OpenTelemetry otel) {
      this.openTelemetry = Objects.requireNonNull(otel);
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value);
      return this;
    }

    /** The picker's tie-breaking source; must be thread-safe ({@link java.util.Random} is). */
    public Builder random(RandomGenerator value) {
      this.random = Objects.requireNonNull(value);
      return this;
    }

    /** A replica not heard from for this long is forgotten with its cache. */
    public Builder replicaExpiry(Duration value) {
      this.replicaExpiry = Objects.requireNonNull(value);
      return this;
    }

    /** Consecutive failures that open a replica's breaker, and how long it stays open. */
    public Builder breaker(int failures, Duration cooldown) {
      this.breakerFailures = failures;
      this.breakerCooldown = Objects.requireNonNull(cooldown);
      return this;
    }

    /** Trains the classifier on the config's examples (blocks for their embedding). */
    public Router build() {
      return new Router(this);
    }

    /**
     * As {@link #build()}, then {@linkplain Router#subscribe subscribes} the router to the signal
     * bus's load reports and KV-block events, as a serving router does.
     */
    public Router buildSubscribed() {
      Router router = build();
      router.subscribe(Objects.requireNonNull(signalBus, "signalBus"));
      return router;
    }
  }

  /** One line for the logs: the config's size and the classifier's cross-validated choice. */
  public String summary() {
    State s = state.get();
    return String.format(
        "%d categories, %d experts, fallback %s; classifier %s",
        s.config().categories().size(),
        s.config().experts().size(),
        s.config().fallbackExpert(),
        s.model().evaluation());
  }

  /**
   * Decides the expert and replica(s) of one request in one go (both steps); throws {@link
   * MeshException} on bad input. A caller that tokenizes with the chosen expert's tokenizer calls
   * {@link #chooseExpert} and {@link #place} instead.
   */
  public RouteDecision route(RouteRequest request) {
    State s = state.get();
    return traced(
        DecisionRecorder.SPAN_NAME,
        () -> chooseReplica(s, request, chooseExpert(s, request), Set.of()),
        recorder::record);
  }

  /**
   * Step 1: the expert of one request (an explicit model, the client's category hint, or the
   * classifier with its confidence threshold and fallback; a cost/quality pair picks its side). Its
   * span ({@code router.classify}) carries the choice; {@link #place} records the whole decision.
   */
  public ExpertChoice chooseExpert(RouteRequest request) {
    State s = state.get();
    return traced(
        DecisionRecorder.CLASSIFY_SPAN_NAME,
        () -> chooseExpert(s, request),
        DecisionRecorder::recordChoice);
  }

  /**
   * Step 2: the replica(s) of the chosen expert for this request, from its token ids (prefix
   * affinity over their chained block hashes) and length (the disaggregation decider), skipping
   * {@code excluded} replicas (those that already failed this request, on a failover). Records the
   * decision as span attributes and a {@code mesh.routing} signal. Throws {@code
   * NO_HEALTHY_REPLICA} when no replica is left.
   */
  public RouteDecision place(RouteRequest request, ExpertChoice choice, Set<ReplicaId> excluded) {
    State s = state.get();
    return traced(
        DecisionRecorder.SPAN_NAME,
        () -> chooseReplica(s, request, choice, excluded),
        recorder::record);
  }

  /** What the router knows of one live replica now (its endpoint, load), or null. */
  public ReplicaView replica(ReplicaId id) {
    return registry.find(id);
  }

  /** Live replicas of an expert now (reported recently). */
  public List<ReplicaView> replicas(ExpertId expert) {
    return registry.snapshot(expert);
  }

  /** The replicas this router knows of, with their circuit breakers (for metrics). */
  public ReplicaRegistry registry() {
    return registry;
  }

  /** Runs one routing step in its span, which {@code record} annotates with the outcome. */
  private <T> T traced(
      String spanName,
      java.util.function.Supplier<T> decide,
      java.util.function.BiConsumer<Span, T> record) {
    Span span = tracer.spanBuilder(spanName).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      T decision = decide.get();
      record.accept(span, decision);
      return decision;
    } catch (MeshException e) {
      span.setAttribute(DecisionRecorder.ERROR, e.code().wireCode());
      span.setStatus(StatusCode.ERROR, e.code().wireCode());
      throw e;
    } finally {
      span.end();
    }
  }

  private ExpertChoice chooseExpert(State s, RouteRequest request) {
    RoutingConfig config = s.config();
    String model = request.model();
    if (model != null && !model.isBlank() && !model.equals(config.overrides().autoModel())) {
      ExpertId named = knownExpert(config, model);
      if (config.overrides().explicitModel()) {
        return new ExpertChoice(null, 1, RouteReason.EXPLICIT_MODEL, named, null, Double.NaN);
      }
    }
    String hint = request.categoryHint();
    if (hint != null && !hint.isBlank() && config.overrides().categoryHint()) {
      if (!config.routes().containsKey(hint)) {
        throw new MeshException(
            ErrorCode.INVALID_REQUEST,
            "unknown category hint '" + hint + "' (known: " + s.model().categories() + ")");
      }
      return byRoute(s, request, hint, 1, RouteReason.CATEGORY_HINT, null);
    }
    float[] embedding = embed(request);
    CategoryModel.Prediction p = s.model().predict(embedding);
    if (p.confidence() < config.confidenceThreshold()) {
      return new ExpertChoice(
          p.category(),
          p.confidence(),
          RouteReason.LOW_CONFIDENCE,
          config.fallbackExpert(),
          null,
          Double.NaN);
    }
    return byRoute(s, request, p.category(), p.confidence(), RouteReason.CLASSIFIED, embedding);
  }

  private ExpertChoice byRoute(
      State s,
      RouteRequest request,
      String category,
      double confidence,
      RouteReason reason,
      float[] embedding) {
    return switch (s.config().routes().get(category)) {
      case RoutingConfig.Route.Single single ->
          new ExpertChoice(category, confidence, reason, single.expert(), null, Double.NaN);
      case RoutingConfig.Route.StrongWeak pair -> {
        StrongWinRate model = s.model().strongWeak(category);
        double winRate = model.winRate(embedding != null ? embedding : embed(request));
        boolean strong = model.prefersStrong(winRate);
        yield new ExpertChoice(
            category,
            confidence,
            reason,
            strong ? pair.strong() : pair.weak(),
            strong ? RouteDecision.Tier.STRONG : RouteDecision.Tier.WEAK,
            winRate);
      }
    };
  }

  private float[] embed(RouteRequest request) {
    if (!hasText(request.prompt())) {
      throw new MeshException(ErrorCode.INVALID_REQUEST, "the prompt has no text to route on");
    }
    return embedder.embed(request.prompt());
  }

  /**
   * Whether {@code prompt} holds anything to classify. The embedder's BERT normaliser drops white
   * space, control and format characters, surrogates, private-use and unassigned code points,
   * U+FFFD and (stripping accents) combining marks, and fails on what is left empty; such a prompt
   * is the client's to fix, not an internal error.
   */
  static boolean hasText(String prompt) {
    return prompt.codePoints().anyMatch(Router::embeddable);
  }

  private static boolean embeddable(int cp) {
    if (cp == 0xFFFD || Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
      return false;
    }
    return switch (Character.getType(cp)) {
      case Character.CONTROL,
          Character.FORMAT,
          Character.SURROGATE,
          Character.PRIVATE_USE,
          Character.UNASSIGNED,
          Character.NON_SPACING_MARK,
          Character.ENCLOSING_MARK ->
          false;
      default -> true;
    };
  }

  private static ExpertId knownExpert(RoutingConfig config, String model) {
    ExpertId id = null;
    try {
      id = new ExpertId(model);
    } catch (IllegalArgumentException e) {
      // not a valid name, so not an expert: reported below
    }
    if (id == null || !config.hasExpert(id)) {
      List<String> names = new java.util.ArrayList<>();
      config.experts().forEach(x -> names.add(x.name().value()));
      throw new MeshException(
          ErrorCode.MODEL_NOT_FOUND,
          "The model '"
              + (model.length() <= 128 ? model : model.substring(0, 128) + "...")
              + "' does not exist; use '"
              + config.overrides().autoModel()
              + "' to route or one of the experts: "
              + String.join(", ", names),
          "model",
          null);
    }
    return id;
  }

  private RouteDecision chooseReplica(
      State s, RouteRequest request, ExpertChoice choice, Set<ReplicaId> excluded) {
    RoutingConfig.Expert expert = s.config().expert(choice.expert());
    List<ReplicaView> replicas = new ArrayList<>(registry.snapshot(expert.name()));
    int reported = replicas.size();
    replicas.removeIf(r -> excluded.contains(r.id()));
    if (replicas.isEmpty()) {
      return switch (expert.source()) {
        case RoutingConfig.ModelSource.Upstream _ when reported == 0 ->
            decision(request, choice, expert, new Placement.Upstream(), 0, Map.of());
        case RoutingConfig.ModelSource.Upstream _, RoutingConfig.ModelSource.Embedded _ ->
            throw new MeshException(
                ErrorCode.NO_HEALTHY_REPLICA,
                reported == 0
                    ? "no replica of " + expert.name() + " has reported its load recently"
                    : "no replica of "
                        + expert.name()
                        + " is left after "
                        + excluded.size()
                        + " failed");
      };
    }
    long[] hashes =
        request.blockHashes().length > 0
            ? request.blockHashes()
            : BlockHashes.chain(
                request.prefixRoot(),
                request.tokenIds(),
                request.tokenIds().length,
                expert.kvBlockSize());
    return switch (expert.mode()) {
      case COLOCATED -> colocated(s, request, choice, expert, hashes, replicas);
      case DISAGGREGATED -> {
        int cached = 0;
        for (ReplicaView r : replicas) {
          if (r.id().role() != ReplicaRole.DECODE) {
            cached = Math.max(cached, r.matchedPrefixBlocks(hashes));
          }
        }
        RouteContext probe = context(request, expert, ReplicaRole.COLOCATED, hashes);
        ServingMode preferred = s.decider().decide(probe, cached);
        try {
          yield preferred == ServingMode.DISAGGREGATED
              ? disaggregated(s, request, choice, expert, hashes, replicas)
              : colocated(s, request, choice, expert, hashes, replicas);
        } catch (MeshException first) {
          if (first.code() != ErrorCode.NO_HEALTHY_REPLICA) {
            throw first;
          }
          try { // the pool may run only one of the two shapes, or one may be down
            yield preferred == ServingMode.DISAGGREGATED
                ? colocated(s, request, choice, expert, hashes, replicas)
                : disaggregated(s, request, choice, expert, hashes, replicas);
          } catch (MeshException _) {
            throw first;
          }
        }
      }
    };
  }

  private RouteDecision colocated(
      State s,
      RouteRequest request,
      ExpertChoice choice,
      RoutingConfig.Expert expert,
      long[] hashes,
      List<ReplicaView> replicas) {
    ReplicaSelector.Selection sel =
        s.selector().select(context(request, expert, ReplicaRole.COLOCATED, hashes), replicas);
    registry.placed(sel.replica().id());
    return decision(
        request,
        choice,
        expert,
        new Placement.Colocated(sel.replica().id()),
        sel.replica().matchedPrefixBlocks(hashes),
        sel.scores());
  }

  private RouteDecision disaggregated(
      State s,
      RouteRequest request,
      ExpertChoice choice,
      RoutingConfig.Expert expert,
      long[] hashes,
      List<ReplicaView> replicas) {
    ReplicaSelector.Selection prefill =
        s.selector().select(context(request, expert, ReplicaRole.PREFILL, hashes), replicas);
    // The decode replica imports the whole prompt's KV, so it needs room for all of it.
    ReplicaSelector.Selection decode =
        s.selector().select(context(request, expert, ReplicaRole.DECODE, new long[0]), replicas);
    registry.placed(prefill.replica().id());
    registry.placed(decode.replica().id());
    return decision(
        request,
        choice,
        expert,
        new Placement.Disaggregated(prefill.replica().id(), decode.replica().id()),
        prefill.replica().matchedPrefixBlocks(hashes),
        prefill.scores());
  }

  private static RouteContext context(
      RouteRequest request, RoutingConfig.Expert expert, ReplicaRole role, long[] hashes) {
    return new RouteContext(
        expert.name(),
        role,
        hashes,
        Math.max(request.promptTokens(), hashes.length * expert.kvBlockSize()),
        expert.kvBlockSize(),
        request.sessionKey());
  }

  private static RouteDecision decision(
      RouteRequest request,
      ExpertChoice choice,
      RoutingConfig.Expert expert,
      Placement placement,
      int cachedBlocks,
      Map<String, Double> scores) {
    return new RouteDecision(
        request.requestId(),
        choice.category(),
        choice.confidence(),
        choice.reason(),
        expert.name(),
        expert.source(),
        choice.tier(),
        choice.winRate(),
        placement,
        cachedBlocks,
        scores);
  }

  /** Feeds replica state: load reports and KV-block events; other signals are ignored. */
  public void onSignal(SignalEvent event) {
    switch (event) {
      case SignalEvent.LoadReport load -> registry.onLoad(load);
      case SignalEvent.KvBlockEvent kv -> registry.onKvEvent(kv);
      case SignalEvent.UsageCharge _, SignalEvent.SloReport _, SignalEvent.RoutingDecision _ -> {}
    }
  }

  /** Subscribes {@link #onSignal} to a bus's load and KV-block events until the router closes. */
  public void subscribe(SignalBus bus) {
    resources.add(bus.subscribe(SignalEvent.LoadReport.class, this::onSignal));
    resources.add(bus.subscribe(SignalEvent.KvBlockEvent.class, this::onSignal));
  }

  /** The outcome of a request sent to a replica, for its circuit breaker. */
  public void recordOutcome(ReplicaId replica, boolean success) {
    registry.recordOutcome(replica, success);
  }

  /**
   * Trains on a new config and swaps it in; requests keep routing on the old one meanwhile and
   * those in flight finish on it. Reloads are serialised.
   */
  public void reload(RoutingConfig config) {
    synchronized (reloadLock) {
      state.set(compile(config));
    }
  }

  /**
   * Hot reload from a file: loads it now (a bad file throws {@code CONFIG_INVALID}), then polls it
   * every {@code interval}; a bad change keeps the current config and is reported by the watcher's
   * {@link ConfigWatcher#lastError()}. Closed with the router.
   */
  public ConfigWatcher<RoutingConfig> watch(Path file, Duration interval) {
    ConfigWatcher<RoutingConfig> watcher =
        new ConfigWatcher<>(
            "routing config", file, interval, RoutingConfigLoader::load, this::reload);
    if (!watcher.current().equals(config())) {
      reload(watcher.current());
    }
    resources.add(watcher);
    return watcher;
  }

  public RoutingConfig config() {
    return state.get().config();
  }

  /** How the current classifier was chosen (cross-validated accuracies, temperature). */
  public CategoryModel.Evaluation evaluation() {
    return state.get().model().evaluation();
  }

  /** The current trained step-1 model (for evaluation). */
  public CategoryModel categoryModel() {
    return state.get().model();
  }

  private State compile(RoutingConfig config) {
    return new State(
        config,
        CategoryModel.train(config, embedder),
        Plugins.selector(config.pipeline(), random),
        Plugins.decider(config.pipeline()));
  }

  @Override
  public void close() {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        // closing is best effort: a subscription or watcher that fails to stop holds nothing
      }
    }
    resources.clear();
  }

  /** Tie-breaking randomness that needs no lock: each thread uses its own generator. */
  private static final class ThreadLocalRandomGenerator implements RandomGenerator {
    @Override
    public long nextLong() {
      return ThreadLocalRandom.current().nextLong();
    }
  }
}
