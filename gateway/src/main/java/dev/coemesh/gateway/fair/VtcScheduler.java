package dev.coemesh.gateway.fair;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.spi.FairScheduler;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Virtual Token Counter admission (ALGORITHMS.md §3, Sheng et al., OSDI'24) in front of the
 * experts.
 *
 * <p>Each tenant has a counter of the service it received: {@code (w_p·input + w_q·output) /
 * weight}, charged with the prompt when a request is admitted and with each output token as it
 * streams. Each expert has one queue per tenant; whenever the expert has room (its {@link
 * CapacitySource} limit exceeds the requests admitted there) the head of the queue whose tenant has
 * the smallest counter is admitted, skipping tenants at their {@code maxConcurrent}; ties go to the
 * request that arrived first. Within a tenant, its interactive requests go before its batch ones
 * ({@link Priority}, each class in arrival order), and batch requests hold at most {@link
 * VtcOptions#batchLimit} of an expert's slots, so an interactive request finds a free slot instead
 * of waiting for a batch request to finish; otherwise admission is work-conserving. When a tenant's
 * FIFO at an expert becomes non-empty its counter is lifted ({@link LiftRule}) so idle time is not
 * banked as credit. For two tenants backlogged at one expert over an interval, the weighted service
 * gap then stays within {@code 2·max(w_p·L, w_q·M)} (L: longest prompt, M: tokens the expert's
 * running requests hold).
 *
 * <p>Counters are kept per gateway replica; with a {@link GlobalUsage} the replicas exchange their
 * served totals so that each orders tenants by their service over all replicas ({@link #exchange()}
 * says whether that currently works). Other replicas' service reaches the counters one flush
 * interval plus the signal delay late; docs/operations.md states what that lag allows.
 *
 * <p>Tokens per minute are not limited here: the gateway's {@code TokenRateLimiter} refuses a
 * request with {@code RATE_LIMITED} before it reaches this queue.
 *
 * <p>Thread-safe: one lock guards all state; admitted callbacks run outside it (see {@link
 * FairScheduler}).
 */
public final class VtcScheduler implements FairScheduler {
  private static final System.Logger LOG = System.getLogger(VtcScheduler.class.getName());

  private final VtcOptions options;
  private final CapacitySource capacity;
  private final LongSupplier nanoClock;
  private final GlobalUsage global; // null: counters are local to this replica
  private final AutoCloseable subscription;
  private final ScheduledExecutorService flusher;

  private final Object lock = new Object();
  // guarded by lock
  private final Map<TenantId, TenantState> tenants = new HashMap<>();
  private final Map<ExpertId, ExpertLane> lanes = new HashMap<>();
  private final Map<TenantId, long[]> remoteBeforeSeen = new HashMap<>(); // [input, output]
  // the newest totals seen from each other replica incarnation: [input, output] per tenant
  private final Map<String, Map<TenantId, long[]>> remoteTotals = new HashMap<>();
  private long lastResendNanos;
  private long awaitingEchoSinceNanos; // first publish not yet seen coming back; 0: none
  private long lastEchoNanos; // 0: never
  private long echoRoundTripMillis = -1; // publish to delivery of our newest echoed event
  private final ArrayDeque<Request> ready = new ArrayDeque<>(); // admitted, callback not yet run
  private boolean draining;
  private boolean closed;
  private long nextSeq;

  public VtcScheduler(VtcOptions options, CapacitySource capacity) {
    this(options, capacity, null, System::nanoTime);
  }

  public VtcScheduler(VtcOptions options, CapacitySource capacity, GlobalUsage global) {
    this(options, capacity, Objects.requireNonNull(global, "global"), System::nanoTime);
  }

  /**
   * @param global charge exchange with the other gateway replicas, or null for local counters
   * @param nanoClock monotonic clock for slot hold times (the {@code Retry-After} hint)
   */
  public VtcScheduler(
      VtcOptions options, CapacitySource capacity, GlobalUsage global, LongSupplier nanoClock) {
    this.options = Objects.requireNonNull(options, "options");
    this.capacity = Objects.requireNonNull(capacity, "capacity");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.global = global;
    if (global == null) {
      this.subscription = null;
      this.flusher = null;
    } else {
      this.subscription =
          global
              .bus()
              .subscribeWithHistory(
                  SignalEvent.UsageCharge.class, global.history(), this::applyUsageTotals);
      this.flusher =
          Executors.newSingleThreadScheduledExecutor(
              r -> Thread.ofPlatform().daemon().name("vtc-usage-flush").unstarted(r));
      long every = global.flushInterval().toNanos();
      flusher.scheduleWithFixedDelay(this::flushUsage, every, every, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public Ticket submit(
      Tenant tenant,
      ExpertId expert,
      Priority priority,
      int inputTokens,
      Consumer<Ticket> onAdmitted) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(expert, "expert");
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(onAdmitted, "onAdmitted");
    if (inputTokens < 0) {
      throw new MeshException(
          ErrorCode.INVALID_REQUEST, "input tokens must be >= 0, was " + inputTokens);
    }
    int limit = capacity.limit(expert); // outside the lock: also refuses an unknown expert
    Request request;
    synchronized (lock) {
      if (closed) {
        throw new MeshException(ErrorCode.NO_HEALTHY_REPLICA, "the gateway is shutting down");
      }
      TenantState t = tenant(tenant);
      ExpertLane lane = lanes.computeIfAbsent(expert, ExpertLane::new);
      boolean room =
          t.running < tenant.maxConcurrent()
              && lane.inflight < limit
              && (priority == Priority.INTERACTIVE
                  || lane.batchInflight < options.batchLimit(limit));
      if (!room && t.queued >= tenant.maxQueued()) {
        throw queueFull(t);
      }
      request = new Request(t, lane, priority, inputTokens, onAdmitted, nextSeq++);
      enqueue(request);
      dispatch(lane, limit);
      if (request.state == State.QUEUED && t.queued > tenant.maxQueued()) {
        // capacity shrank without capacityChanged and others took the room: stay within the limit
        dequeue(request);
        throw queueFull(t);
      }
    }
    runReady();
    return request;
  }

  @Override
  public void capacityChanged(ExpertId expert) {
    synchronized (lock) {
      ExpertLane lane = lanes.get(expert);
      if (lane != null) {
        dispatch(lane, safeLimit(lane.expert));
      }
    }
    runReady();
  }

  @Override
  public int retryAfterSeconds(TenantId tenant) {
    synchronized (lock) {
      TenantState t = tenants.get(tenant);
      return t == null ? 1 : t.retryAfterSeconds();
    }
  }

  /** Service counted for {@code tenant} by this replica: admitted input, streamed output. */
  public record Service(long inputTokens, long outputTokens) {}

  /** The tenant's virtual counter (lifts and other replicas' charges included), 0 if unseen. */
  public double counter(TenantId tenant) {
    synchronized (lock) {
      TenantState t = tenants.get(tenant);
      return t == null ? 0 : t.counter;
    }
  }

  public Service service(TenantId tenant) {
    synchronized (lock) {
      TenantState t = tenants.get(tenant);
      return t == null ? new Service(0, 0) : new Service(t.inputServed, t.outputServed);
    }
  }

  /**
   * One tenant as the scheduler sees it now.
   *
   * @param counter its virtual counter (lifts and other replicas' charges included)
   * @param queued requests waiting, over all experts
   * @param running requests admitted and not finished
   */
  public record TenantView(
      TenantId tenant,
      double weight,
      double counter,
      int queued,
      int running,
      Service service,
      Service otherReplicas) {}

  /** Every tenant seen since start, from one consistent moment (one lock). */
  public List<TenantView> tenants() {
    synchronized (lock) {
      List<TenantView> views = new ArrayList<>(tenants.size());
      for (TenantState t : tenants.values()) {
        views.add(
            new TenantView(
                t.config.id(),
                t.config.weight(),
                t.counter,
                t.queued,
                t.running,
                new Service(t.inputServed, t.outputServed),
                new Service(t.remoteInput, t.remoteOutput)));
      }
      return views;
    }
  }

  /** Requests of {@code tenant} waiting, over all experts. */
  public int queued(TenantId tenant) {
    synchronized (lock) {
      TenantState t = tenants.get(tenant);
      return t == null ? 0 : t.queued;
    }
  }

  /** Requests of {@code tenant} admitted and not finished. */
  public int running(TenantId tenant) {
    synchronized (lock) {
      TenantState t = tenants.get(tenant);
      return t == null ? 0 : t.running;
    }
  }

  /** Requests admitted at {@code expert} and not finished. */
  public int inflight(ExpertId expert) {
    synchronized (lock) {
      ExpertLane lane = lanes.get(expert);
      return lane == null ? 0 : lane.inflight;
    }
  }

  /** Requests waiting in the fair queue for {@code expert}, over all tenants. */
  public int waiting(ExpertId expert) {
    synchronized (lock) {
      ExpertLane lane = lanes.get(expert);
      if (lane == null) {
        return 0;
      }
      int n = 0;
      for (TenantQueue queue : lane.backlog.values()) {
        n += queue.size();
      }
      return n;
    }
  }

  /**
   * The fairness gap at {@code expert}: the largest minus the smallest virtual counter among the
   * tenants with requests waiting there; 0 with fewer than two. VTC keeps it within {@code
   * 2·max(w_p·L, w_q·M)} for tenants that stay backlogged, so a gap that grows past that bound
   * means one tenant is being starved.
   */
  public double fairnessGap(ExpertId expert) {
    synchronized (lock) {
      ExpertLane lane = lanes.get(expert);
      if (lane == null || lane.backlog.size() < 2) {
        return 0;
      }
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (TenantQueue queue : lane.backlog.values()) {
        double counter = queue.peekFirst().tenant.counter;
        min = Math.min(min, counter);
        max = Math.max(max, counter);
      }
      return max - min;
    }
  }

  /** Tickets queued or admitted and not finished, over all tenants: 0 when nothing leaked. */
  public int open() {
    synchronized (lock) {
      int n = 0;
      for (TenantState t : tenants.values()) {
        n += t.queued + t.running;
      }
      return n;
    }
  }

  /**
   * Publishes this replica's totals for every tenant whose totals changed since they were last
   * published, and for every tenant served here once per resend interval (no-op without {@link
   * GlobalUsage}). Runs every flush interval; callable directly.
   */
  public void flushUsage() {
    if (global == null) {
      return;
    }
    List<SignalEvent.UsageCharge> events = new ArrayList<>();
    long now = System.currentTimeMillis();
    long nowNanos = nanoClock.getAsLong();
    synchronized (lock) {
      boolean resend =
          lastResendNanos == 0 || nowNanos - lastResendNanos >= global.resendInterval().toNanos();
      if (resend) {
        lastResendNanos = nowNanos;
      }
      for (TenantState t : tenants.values()) {
        boolean changed = t.inputServed != t.publishedInput || t.outputServed != t.publishedOutput;
        boolean served = t.inputServed != 0 || t.outputServed != 0;
        if (changed || (resend && served)) {
          events.add(
              new SignalEvent.UsageCharge(
                  t.config.id(), global.gatewayId(), t.inputServed, t.outputServed, now));
          t.publishedInput = t.inputServed;
          t.publishedOutput = t.outputServed;
        }
      }
      if (!events.isEmpty() && awaitingEchoSinceNanos == 0) {
        awaitingEchoSinceNanos = nowNanos;
      }
    }
    for (SignalEvent.UsageCharge event : events) {
      global.bus().publish(event);
    }
  }

  /** Whether this replica orders tenants by their service over all replicas. */
  public enum Exchange {
    /** No exchange configured: counters are this replica's own. */
    OFF,
    /** Configured, nothing published yet: no evidence either way. */
    IDLE,
    /** Own totals come back through the bus in time: counters include the other replicas'. */
    GLOBAL,
    /** Own totals have not come back within the echo timeout: counters are local only. */
    LOCAL_ONLY
  }

  /** The state of the usage exchange now; see {@link Exchange}. */
  public Exchange exchange() {
    if (global == null) {
      return Exchange.OFF;
    }
    synchronized (lock) {
      if (awaitingEchoSinceNanos != 0
          && nanoClock.getAsLong() - awaitingEchoSinceNanos > global.echoTimeout().toNanos()) {
        return Exchange.LOCAL_ONLY;
      }
      return lastEchoNanos == 0 && awaitingEchoSinceNanos == 0 ? Exchange.IDLE : Exchange.GLOBAL;
    }
  }

  /**
   * Milliseconds from publishing this replica's newest echoed totals to their delivery back here:
   * the signal delay that the lag allowance is made of; -1 before the first echo.
   */
  public long usageRoundTripMillis() {
    synchronized (lock) {
      return echoRoundTripMillis;
    }
  }

  /**
   * Stops sharing usage and refuses new requests with {@code NO_HEALTHY_REPLICA}. Requests still
   * queued are not admitted any more; their owners cancel them as they shut down.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (global != null) {
      flusher.shutdownNow();
      try {
        subscription.close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "could not unsubscribe from mesh.usage", e);
      }
      flushUsage();
    }
  }

  // --- under lock -------------------------------------------------------------------------------

  private TenantState tenant(Tenant config) {
    TenantState t = tenants.get(config.id());
    if (t == null) {
      t = new TenantState(config, 0);
      long[] remote = remoteBeforeSeen.remove(config.id());
      if (remote != null) {
        t.charge(options, remote[0], remote[1]);
        t.remoteInput = remote[0];
        t.remoteOutput = remote[1];
      }
      tenants.put(config.id(), t);
    } else {
      t.config = config; // limits and weight may have been reloaded
    }
    return t;
  }

  private void enqueue(Request r) {
    ExpertLane lane = r.lane;
    TenantId id = r.tenant.config.id();
    TenantQueue queue = lane.backlog.get(id);
    if (queue == null) {
      lift(r.tenant, lane);
      queue = new TenantQueue();
      lane.backlog.put(id, queue);
    }
    queue.addLast(r);
    r.tenant.queued++;
  }

  /** The tenant's FIFO at the lane just became non-empty (it is not in the backlog yet). */
  private void lift(TenantState t, ExpertLane lane) {
    switch (options.liftRule()) {
      case NONE -> {}
      case BACKLOGGED_MIN -> liftToBacklogMin(t, lane);
      case BACKLOGGED_MIN_OR_LAST_DEPARTED -> {
        if (!liftToBacklogMin(t, lane) && lane.lastDeparted != null) {
          t.counter = Math.max(t.counter, lane.lastDeparted.counter);
        }
      }
    }
  }

  /** Returns false when no other tenant is waiting at the lane. */
  private static boolean liftToBacklogMin(TenantState t, ExpertLane lane) {
    double min = Double.POSITIVE_INFINITY;
    for (TenantQueue queue : lane.backlog.values()) {
      min = Math.min(min, queue.peekFirst().tenant.counter);
    }
    if (min == Double.POSITIVE_INFINITY) {
      return false;
    }
    t.counter = Math.max(t.counter, min);
    return true;
  }

  private void dequeue(Request r) {
    TenantId id = r.tenant.config.id();
    TenantQueue queue = r.lane.backlog.get(id);
    queue.remove(r);
    r.tenant.queued--;
    if (queue.isEmpty()) {
      r.lane.backlog.remove(id);
      r.lane.lastDeparted = r.tenant;
    }
  }

  /**
   * Admits least-counter heads while the expert has room; batch requests only while they hold fewer
   * than {@link VtcOptions#batchLimit} slots there.
   */
  private void dispatch(ExpertLane lane, int limit) {
    int batchLimit = options.batchLimit(limit);
    while (lane.inflight < limit) {
      boolean batchRoom = lane.batchInflight < batchLimit;
      Request best = null;
      for (TenantQueue queue : lane.backlog.values()) {
        Request head = queue.next(batchRoom);
        if (head == null) {
          continue; // only batch work waits, and the free slots are held for interactive work
        }
        TenantState t = head.tenant;
        if (t.running >= t.config.maxConcurrent()) {
          continue; // skipping keeps the expert busy: VTC is work-conserving
        }
        if (best == null
            || t.counter < best.tenant.counter
            || (t.counter == best.tenant.counter && head.seq < best.seq)) {
          best = head;
        }
      }
      if (best == null) {
        return;
      }
      dequeue(best);
      admit(best);
    }
  }

  private void admit(Request r) {
    TenantState t = r.tenant;
    r.state = State.ADMITTED;
    r.wasAdmitted = true;
    r.admittedAtNanos = nanoClock.getAsLong();
    t.running++;
    r.lane.inflight++;
    if (r.priority == Priority.BATCH) {
      r.lane.batchInflight++;
    }
    t.charge(options, r.inputTokens, 0);
    t.inputServed += r.inputTokens;
    ready.addLast(r);
  }

  private void dispatchAll() {
    for (ExpertLane lane : lanes.values()) {
      if (!lane.backlog.isEmpty()) {
        dispatch(lane, safeLimit(lane.expert));
      }
    }
  }

  /** A capacity source that fails while requests finish must not leak their slots. */
  private int safeLimit(ExpertId expert) {
    try {
      return capacity.limit(expert);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "capacity of " + expert + " unavailable", e);
      return 0;
    }
  }

  private MeshException queueFull(TenantState t) {
    return new MeshException(
        ErrorCode.TENANT_QUEUE_FULL,
        "tenant '"
            + t.config.id()
            + "' already has "
            + t.queued
            + " requests waiting (its limit is "
            + t.config.maxQueued()
            + "); retry in "
            + t.retryAfterSeconds()
            + " s");
  }

  // --- callbacks and finishing ------------------------------------------------------------------

  /**
   * Runs admitted callbacks one at a time. A callback may finish tickets and so admit more; those
   * join the queue instead of recursing, and whichever thread is draining runs them.
   */
  private void runReady() {
    synchronized (lock) {
      if (draining) {
        return;
      }
      draining = true;
    }
    boolean done = false;
    try {
      while (true) {
        Request next;
        synchronized (lock) {
          next = ready.pollFirst();
          if (next == null) {
            draining = false;
            done = true;
            return;
          }
          if (next.state != State.ADMITTED) {
            continue; // cancelled before its turn: its owner already knows
          }
        }
        try {
          next.onAdmitted.accept(next);
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "admitted callback failed; freeing its slot", e);
          next.complete();
        }
      }
    } finally {
      if (!done) {
        synchronized (lock) {
          draining = false;
        }
      }
    }
  }

  private void finish(Request r) {
    synchronized (lock) {
      switch (r.state) {
        case QUEUED -> dequeue(r);
        case ADMITTED -> {
          r.tenant.running--;
          r.lane.inflight--;
          if (r.priority == Priority.BATCH) {
            r.lane.batchInflight--;
          }
          r.tenant.recordHold(nanoClock.getAsLong() - r.admittedAtNanos);
        }
        case DONE -> {
          return;
        }
      }
      r.state = State.DONE;
      if (!closed) {
        dispatchAll(); // a tenant slot may unblock any expert, an expert slot its own lane
      }
    }
    runReady();
  }

  private void chargeOutput(Request r, int tokens) {
    if (tokens < 0) {
      throw new IllegalArgumentException("output tokens must be >= 0, was " + tokens);
    }
    synchronized (lock) {
      if (r.state != State.ADMITTED) {
        return;
      }
      TenantState t = r.tenant;
      t.charge(options, 0, tokens);
      t.outputServed += tokens;
    }
  }

  /** Runs on the bus's delivery thread for every replica's totals, its own included. */
  private void applyUsageTotals(SignalEvent.UsageCharge totals) {
    synchronized (lock) {
      if (totals.gateway().equals(global.gatewayId())) {
        // our own, already counted: it proves the exchange works end to end
        long now = nanoClock.getAsLong();
        lastEchoNanos = now;
        awaitingEchoSinceNanos = 0;
        echoRoundTripMillis = Math.max(0, System.currentTimeMillis() - totals.timestampMs());
        return;
      }
      long[] seen =
          remoteTotals
              .computeIfAbsent(totals.gateway(), g -> new HashMap<>())
              .computeIfAbsent(totals.tenant(), k -> new long[2]);
      // totals only grow; an older event (replayed, reordered) adds nothing
      long input = Math.max(0, totals.inputTokens() - seen[0]);
      long output = Math.max(0, totals.outputTokens() - seen[1]);
      seen[0] = Math.max(seen[0], totals.inputTokens());
      seen[1] = Math.max(seen[1], totals.outputTokens());
      if (input == 0 && output == 0) {
        return;
      }
      TenantState t = tenants.get(totals.tenant());
      if (t != null) {
        t.charge(options, input, output);
        t.remoteInput += input;
        t.remoteOutput += output;
      } else {
        // the weight is unknown until the tenant's first request here
        long[] sum = remoteBeforeSeen.computeIfAbsent(totals.tenant(), k -> new long[2]);
        sum[0] += input;
        sum[1] += output;
      }
    }
  }

  private enum State {
    QUEUED,
    ADMITTED,
    DONE
  }

  /** A ticket: queued in its tenant's queue at one expert, then admitted, then done. */
  final class Request implements Ticket {
    final TenantState tenant;
    final ExpertLane lane;
    final Priority priority;
    final int inputTokens;
    final Consumer<Ticket> onAdmitted;
    final long seq; // arrival order, breaks counter ties
    // guarded by lock
    State state = State.QUEUED;
    boolean wasAdmitted;
    long admittedAtNanos;

    Request(
        TenantState tenant,
        ExpertLane lane,
        Priority priority,
        int inputTokens,
        Consumer<Ticket> onAdmitted,
        long seq) {
      this.tenant = tenant;
      this.lane = lane;
      this.priority = priority;
      this.inputTokens = inputTokens;
      this.onAdmitted = onAdmitted;
      this.seq = seq;
    }

    @Override
    public void chargeOutput(int tokens) {
      VtcScheduler.this.chargeOutput(this, tokens);
    }

    @Override
    public void complete() {
      finish(this);
    }

    @Override
    public void cancel() {
      finish(this);
    }

    @Override
    public boolean admitted() {
      synchronized (lock) {
        return wasAdmitted;
      }
    }
  }
}
