package dev.coemesh.router.replica;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.SignalEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The router's picture of every replica, fed by {@code mesh.load} and {@code mesh.kv-events}
 * signals. A replica that has not reported within the expiry window is forgotten, cache and all, so
 * a replica that restarted (and lost its cache) is never credited with blocks it no longer has.
 *
 * <p>Silence is judged against the freshest signal from any replica, not the wall clock: when every
 * replica goes quiet at once, the signal path (the Kafka broker) is down, not the replicas, and the
 * router keeps serving on the last known state until signals resume, then gives every replica one
 * more expiry window to be heard again; a replica that really died meanwhile is caught by its
 * circuit breaker on the first failed request.
 *
 * <p>Thread-safe: signal consumers update it while request threads take snapshots.
 */
public final class ReplicaRegistry {
  private static final class Entry {
    volatile SignalEvent.LoadReport load;
    final Set<Long> blocks = ConcurrentHashMap.newKeySet();
    volatile long lastSeenMs;
    final AtomicInteger placedSinceReport = new AtomicInteger();
  }

  private final Map<ReplicaId, Entry> replicas = new ConcurrentHashMap<>();
  private final AtomicLong freshestMs = new AtomicLong(Long.MIN_VALUE);
  private volatile long resumedMs = Long.MIN_VALUE; // when signals came back after an outage
  private final Map<ReplicaId, CircuitBreaker> breakers = new ConcurrentHashMap<>();
  private final Map<ExpertId, Map<ReplicaRole, LongAdder>> expirations = new ConcurrentHashMap<>();
  private final Duration expiry;
  private final Clock clock;
  private final int breakerFailures;
  private final Duration breakerCooldown;

  public ReplicaRegistry(
      Duration expiry, int breakerFailures, Duration breakerCooldown, Clock clock) {
    this.expiry = expiry;
    this.clock = clock;
    this.breakerFailures = breakerFailures;
    this.breakerCooldown = breakerCooldown;
  }

  public void onLoad(SignalEvent.LoadReport report) {
    Entry e = replicas.computeIfAbsent(report.replica(), id -> new Entry());
    e.load = report;
    e.placedSinceReport.set(0);
    e.lastSeenMs = seen();
  }

  /**
   * A request was placed on {@code replica}: counted in its {@linkplain ReplicaView#load() load}
   * until its next report, which counts it itself.
   */
  public void placed(ReplicaId replica) {
    Entry e = replicas.get(replica);
    if (e != null) {
      e.placedSinceReport.incrementAndGet();
    }
  }

  public void onKvEvent(SignalEvent.KvBlockEvent event) {
    Entry e = replicas.computeIfAbsent(event.replica(), id -> new Entry());
    switch (event.kind()) {
      case STORED -> e.blocks.addAll(event.blockHashes());
      case EVICTED -> event.blockHashes().forEach(e.blocks::remove);
      case CLEARED -> e.blocks.clear();
    }
    e.lastSeenMs = seen();
  }

  /** Outcome of a request sent to a replica, for its circuit breaker. */
  public void recordOutcome(ReplicaId replica, boolean success) {
    CircuitBreaker breaker =
        breakers.computeIfAbsent(
            replica, id -> new CircuitBreaker(breakerFailures, breakerCooldown, clock));
    if (success) {
      breaker.onSuccess();
    } else {
      breaker.onFailure();
    }
  }

  /** Live replicas of an expert; expired ones are removed on the way. */
  public List<ReplicaView> snapshot(ExpertId expert) {
    long now = clock.millis();
    List<ReplicaView> out = new ArrayList<>();
    for (Map.Entry<ReplicaId, Entry> item : replicas.entrySet()) {
      if (expired(item.getKey(), item.getValue(), now) || !item.getKey().expert().equals(expert)) {
        continue;
      }
      ReplicaView view = view(item.getKey(), item.getValue());
      if (view != null) {
        out.add(view);
      }
    }
    return out;
  }

  /**
   * One replica's view, e.g. to reach the replica a decision named at the endpoint it announced;
   * null when it is unknown, expired (removed on the way) or has sent no load report yet.
   */
  public ReplicaView find(ReplicaId replica) {
    Entry e = replicas.get(replica);
    return e == null || expired(replica, e, clock.millis()) ? null : view(replica, e);
  }

  /**
   * Replicas of {@code expert} in {@code role} that are live now: reported load and not silent past
   * the expiry window (expired ones are removed on the way).
   */
  public int live(ExpertId expert, ReplicaRole role) {
    long now = clock.millis();
    int n = 0;
    for (Map.Entry<ReplicaId, Entry> item : replicas.entrySet()) {
      ReplicaId id = item.getKey();
      if (id.expert().equals(expert)
          && id.role() == role
          && item.getValue().load != null
          && !expired(id, item.getValue(), now)) {
        n++;
      }
    }
    return n;
  }

  /** Replicas of {@code expert} in {@code role} forgotten so far for their silence. */
  public long expired(ExpertId expert, ReplicaRole role) {
    Map<ReplicaRole, LongAdder> byRole = expirations.get(expert);
    LongAdder n = byRole == null ? null : byRole.get(role);
    return n == null ? 0 : n.sum();
  }

  /** Replicas of {@code expert} whose circuit breaker refuses traffic now. */
  public int openBreakers(ExpertId expert) {
    int n = 0;
    for (Map.Entry<ReplicaId, CircuitBreaker> item : breakers.entrySet()) {
      if (item.getKey().expert().equals(expert) && !item.getValue().allowsRequest()) {
        n++;
      }
    }
    return n;
  }

  /** Now, also as the freshest signal heard. */
  private long seen() {
    long now = clock.millis();
    long before = freshestMs.getAndAccumulate(now, Math::max);
    if (before != Long.MIN_VALUE && now - before > expiry.toMillis()) {
      resumedMs = now;
    }
    return now;
  }

  private boolean expired(ReplicaId id, Entry e, long now) {
    long reference = Math.min(now, freshestMs.get()); // the last moment signals were flowing
    boolean silent = reference - e.lastSeenMs > expiry.toMillis();
    boolean settled = resumedMs == Long.MIN_VALUE || now - resumedMs > expiry.toMillis();
    if (silent && settled) {
      if (replicas.remove(id, e)) {
        expirations
            .computeIfAbsent(id.expert(), k -> new ConcurrentHashMap<>())
            .computeIfAbsent(id.role(), k -> new LongAdder())
            .increment();
      }
      return true;
    }
    return false;
  }

  private ReplicaView view(ReplicaId id, Entry e) {
    SignalEvent.LoadReport load = e.load;
    if (load == null) {
      return null;
    }
    CircuitBreaker breaker = breakers.get(id);
    return new ReplicaView(
        id,
        load.endpoint(),
        load.modelFingerprint(),
        load.queueDepth(),
        load.runningSequences(),
        load.kvBlocksUsed(),
        load.kvBlocksFree(),
        e.blocks,
        breaker != null && !breaker.allowsRequest(),
        e.placedSinceReport.get());
  }
}
