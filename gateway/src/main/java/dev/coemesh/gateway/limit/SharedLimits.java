package dev.coemesh.gateway.limit;

import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * A tenant's limits over every gateway replica, kept in Redis ({@link LimitScripts}): one atomic
 * script per request checks the requests and tokens of the trailing minute and the requests in
 * flight, and charges all three or none. Tokens are reserved at admission (prompt + {@code
 * max_tokens}) while the window holds less than the limit, and reconciled when the request ends
 * (what it did not use is refunded), so two gateways admitting at once cannot both slip in: a
 * tenant is held to its limit within one request's reservation. Each request in flight holds a
 * lease that this gateway renews every third of its length; a gateway that dies leaks its slots for
 * at most one lease.
 *
 * <p>A circuit breaker keeps a dead store cheap: {@code breaker-failures} failed calls in a row
 * open it, and while it is open no request waits on the store; a background probe closes it as soon
 * as the store answers, republishing this gateway's leases and the releases it could not send.
 * While it is open a {@code FAIL_OPEN} tenant gets this gateway's own limits ({@link LocalLimits},
 * with the fair scheduler's {@code max-concurrent} per process) and a {@code FAIL_CLOSED} tenant is
 * refused with 503 {@code limit_store_unavailable}.
 *
 * <p>Thread-safe.
 */
public final class SharedLimits implements TenantLimits, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SharedLimits.class);

  /** Members per renewal call (a Lua call's arguments are bounded). */
  private static final int RENEW_BATCH = 500;

  /** Releases kept for a store that comes back; beyond this its leases expire on their own. */
  private static final int MAX_PENDING = 100_000;

  /** How long a refusal of an exhausted window is answered without asking the store again. */
  private static final long BLOCK_CACHE_NANOS = 1_000_000_000L;

  /**
   * The shared limits' settings ({@code mesh.limits.redis.*}).
   *
   * @param uri the store, {@code redis://[user:password@]host:port[/db]} or {@code rediss://}
   * @param keyPrefix before every key ({@code <prefix>{<tenant>}:requests})
   * @param timeout of every command: what a hung store costs a request before the breaker opens
   * @param connectTimeout of a connect (at start, and the probe's while never connected)
   * @param lease how long a request's concurrency slot outlives its gateway; renewed every third
   * @param breakerFailures failed calls in a row that open the breaker
   * @param probeInterval how often an open breaker asks the store whether it is back
   */
  public record Settings(
      String uri,
      String keyPrefix,
      Duration timeout,
      Duration connectTimeout,
      Duration lease,
      int breakerFailures,
      Duration probeInterval) {
    public Settings {
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(keyPrefix, "keyPrefix");
    }
  }

  private final Settings settings;
  private final RedisLimitStore store;
  private final LocalLimits local;
  private final LimitMetrics metrics;
  private final LongSupplier nanoClock;
  private final long leaseMillis;
  private final ScheduledExecutorService timer;

  /** Whether the breaker is closed: requests ask the store. */
  private final AtomicBoolean up = new AtomicBoolean();

  private volatile long changedMillis = System.currentTimeMillis();
  private final AtomicInteger failures = new AtomicInteger();

  /**
   * Issuing a renewal and issuing a release take this lock, so that on the one connection a lease's
   * release never precedes a renewal that would put it back.
   */
  private final Object order = new Object();

  /** The leases of this gateway's requests in flight, by member. */
  private final ConcurrentHashMap<String, SharedLease> live = new ConcurrentHashMap<>();

  private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pendingCount = new AtomicInteger();

  /** Tenants whose window the store last said was exhausted. */
  private final ConcurrentHashMap<TenantId, Block> blocks = new ConcurrentHashMap<>();

  private SharedLimits(
      Settings settings, RedisLimitStore store, LocalLimits local, LimitMetrics metrics) {
    this.settings = settings;
    this.store = store;
    this.local = local;
    this.metrics = metrics;
    this.nanoClock = System::nanoTime;
    this.leaseMillis = settings.lease().toMillis();
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().name("mesh-limits").daemon().factory());
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
  }

  /**
   * Connects to the store (waiting at most its connect timeout) and starts the renewals and the
   * probe. A store that cannot be reached yet is not an error: the breaker starts open, the
   * fallbacks apply, and the probe connects when the store appears.
   */
  public static SharedLimits start(Settings settings, LocalLimits local, LimitMetrics metrics) {
    RedisLimitStore store =
        new RedisLimitStore(
            settings.uri(), settings.keyPrefix(), settings.timeout(), settings.connectTimeout());
    SharedLimits limits = new SharedLimits(settings, store, local, metrics);
    metrics.storeGauge(limits.up::get);
    try {
      store.connect();
      store.ping();
      limits.up.set(true);
      LOG.infof(
          "tenant limits shared over every gateway in %s (keys %s{tenant}:*)",
          store.address(), settings.keyPrefix());
    } catch (LimitStoreException e) {
      LOG.warnf(
          "the shared limit store %s cannot be reached (%s): fail-open tenants get this gateway's"
              + " local limits and fail-closed tenants are refused until it answers",
          store.address(), e.getMessage());
    }
    long probe = Math.max(1, settings.probeInterval().toMillis());
    limits.timer.scheduleWithFixedDelay(limits::probe, probe, probe, TimeUnit.MILLISECONDS);
    long renew = Math.max(1, limits.leaseMillis / 3);
    limits.timer.scheduleWithFixedDelay(limits::renewQuietly, renew, renew, TimeUnit.MILLISECONDS);
    return limits;
  }

  @Override
  public LimitRefusal precheck(Tenant tenant) {
    if (!up.get()) {
      if (tenant.whenLimitsUnavailable() == Tenant.LimitStoreOutage.FAIL_CLOSED) {
        return storeUnavailable(tenant);
      }
      return local.precheck(tenant);
    }
    Block block = blocks.get(tenant.id());
    if (block == null) {
      return null;
    }
    long now = nanoClock.getAsLong();
    if (now - block.validUntil >= 0) {
      blocks.remove(tenant.id(), block);
      return null;
    }
    long elapsedMillis = (now - block.at) / 1_000_000;
    long retryMillis = Math.max(1, block.retryMillis - elapsedMillis);
    metrics.refused(tenant.id(), block.kind, LimitMetrics.SHARED);
    return LimitRefusal.perMinute(
        tenant,
        block.kind,
        block.used,
        0,
        retryMillis,
        block.headers == null ? null : block.headers.aged(elapsedMillis));
  }

  @Override
  public Admission admit(Tenant tenant, RequestId request, long reserveTokens) {
    if (!up.get()) {
      return fallback(tenant, request, reserveTokens);
    }
    long asked = nanoClock.getAsLong();
    RedisLimitStore.Admit r;
    try {
      r =
          store.admit(
              tenant.id(),
              request,
              tenant.requestsPerMinute(),
              tenant.tokensPerMinute(),
              tenant.maxConcurrent(),
              reserveTokens,
              leaseMillis);
      failures.set(0);
    } catch (LimitStoreException e) {
      failed(e);
      if (e.mayHaveRun()) {
        // the script may have run though its answer was lost: end that lease, if there is one
        releaseLater(new Pending(tenant.id(), request.value(), 0, true));
      }
      return fallback(tenant, request, reserveTokens);
    }
    RateLimitHeaders headers =
        RateLimitHeaders.of(
            tenant.requestsPerMinute(),
            r.requestsUsed(),
            r.requestsResetMillis(),
            tenant.tokensPerMinute(),
            r.tokensUsed(),
            r.tokensResetMillis());
    if (r.refused() != null) {
      metrics.refused(tenant.id(), r.refused(), LimitMetrics.SHARED);
      if (r.refused() == LimitKind.CONCURRENCY) {
        return new Admission.Refused(LimitRefusal.concurrency(tenant, r.inFlight(), headers));
      }
      long used = r.refused() == LimitKind.REQUESTS ? r.requestsUsed() : r.tokensUsed();
      long now = nanoClock.getAsLong();
      blocks.put(
          tenant.id(),
          new Block(
              r.refused(),
              used,
              r.retryMillis(),
              headers,
              now,
              now + Math.min(BLOCK_CACHE_NANOS, r.retryMillis() * 1_000_000)));
      return new Admission.Refused(
          LimitRefusal.perMinute(
              tenant,
              r.refused(),
              used,
              r.refused() == LimitKind.TOKENS ? reserveTokens : 1,
              r.retryMillis(),
              headers));
    }
    Block block = blocks.get(tenant.id());
    if (block != null && block.at - asked < 0) {
      blocks.remove(tenant.id(), block); // the store let in a request asked after it refused
    }
    local.noteAdmitted(tenant);
    SharedLease lease = new SharedLease(tenant.id(), r.member(), true);
    live.put(lease.member, lease);
    return new Admission.Granted(lease, headers);
  }

  /** The store is unreachable: the tenant's {@code when-limits-unavailable} decides. */
  private Admission fallback(Tenant tenant, RequestId request, long reserveTokens) {
    if (tenant.whenLimitsUnavailable() == Tenant.LimitStoreOutage.FAIL_CLOSED) {
      return new Admission.Refused(storeUnavailable(tenant));
    }
    return switch (local.admit(tenant, request, reserveTokens)) {
      case Admission.Refused refused -> refused;
      case Admission.Granted granted -> {
        metrics.fallbackAdmitted(tenant.id());
        // published to the store by the first renewal after it is back, so that it counts there
        SharedLease lease = new SharedLease(tenant.id(), request.value() + ":0:0", false);
        live.put(lease.member, lease);
        yield new Admission.Granted(lease, granted.headers());
      }
    };
  }

  private LimitRefusal storeUnavailable(Tenant tenant) {
    metrics.refused(tenant.id(), LimitKind.STORE_UNAVAILABLE, LimitMetrics.SHARED);
    long probe = settings.probeInterval().toMillis();
    return LimitRefusal.storeUnavailable(tenant, LimitRefusal.seconds(probe));
  }

  /**
   * A call failed: counts toward the breaker. Lock-free: it runs in Lettuce's callbacks too, which
   * must not wait for {@link #order}.
   */
  private void failed(Throwable e) {
    metrics.storeError();
    if (failures.incrementAndGet() >= settings.breakerFailures() && up.compareAndSet(true, false)) {
      changedMillis = System.currentTimeMillis();
      LOG.warnf(
          "the shared limit store %s stopped answering (%s): fail-open tenants get this gateway's"
              + " local limits and fail-closed tenants are refused until it answers again",
          store.address(), e.getMessage());
    }
  }

  /** While the breaker is open: is the store back? Then republish and close it. */
  private void probe() {
    if (up.get()) {
      return;
    }
    try {
      store.connect();
      store.ping();
    } catch (RuntimeException e) { // LimitStoreException, or anything Lettuce throws
      return;
    }
    try {
      synchronized (order) {
        flushPending();
        renewAll();
        failures.set(0);
        up.set(true);
        changedMillis = System.currentTimeMillis();
      }
      LOG.infof(
          "the shared limit store %s answers again: tenant limits are shared over every gateway"
              + " again (%d leases republished)",
          store.address(), live.size());
    } catch (RuntimeException e) {
      LOG.debugf(e, "republishing to the limit store failed");
    }
  }

  private void renewQuietly() {
    if (!up.get()) {
      return;
    }
    try {
      synchronized (order) {
        flushPending(); // releases that failed while the breaker stayed closed
        renewAll();
      }
    } catch (RuntimeException e) {
      LOG.debugf(e, "renewing the limit leases failed");
    }
  }

  /** Renews (or restores) every live lease, one call per tenant and batch; holds {@link #order}. */
  private void renewAll() {
    Map<TenantId, List<SharedLease>> byTenant = new HashMap<>();
    for (SharedLease l : live.values()) {
      byTenant.computeIfAbsent(l.tenant, t -> new ArrayList<>()).add(l);
    }
    byTenant.forEach(
        (tenant, leases) -> {
          for (int from = 0; from < leases.size(); from += RENEW_BATCH) {
            List<SharedLease> batch =
                leases.subList(from, Math.min(leases.size(), from + RENEW_BATCH));
            List<String> members = new ArrayList<>(batch.size());
            for (SharedLease l : batch) {
              l.published = true;
              members.add(l.member);
            }
            store
                .renew(tenant, members, leaseMillis)
                .whenComplete(
                    (n, e) -> {
                      if (e != null) {
                        failed(e);
                      }
                    });
          }
        });
  }

  /** Sends the releases kept while the store was unreachable; holds {@link #order}. */
  private void flushPending() {
    Pending p;
    while ((p = pending.poll()) != null) {
      pendingCount.decrementAndGet();
      send(p);
    }
  }

  private void send(Pending p) {
    store
        .release(p.tenant, p.member, p.usedTokens, p.byId)
        .whenComplete(
            (ended, e) -> {
              if (e != null) {
                failed(e);
                keep(p); // lock-free: this may run on a Lettuce thread
              }
            });
  }

  /** Sends a release now if the store answers, else keeps it for when it does. */
  private void releaseLater(Pending p) {
    synchronized (order) {
      if (up.get()) {
        send(p);
      } else {
        keep(p);
      }
    }
  }

  private void keep(Pending p) {
    if (pendingCount.incrementAndGet() > MAX_PENDING) {
      pendingCount.decrementAndGet(); // its lease expires on its own
      return;
    }
    pending.add(p);
  }

  @Override
  public View view() {
    return new View(
        "shared",
        store.address(),
        up.get(),
        changedMillis,
        live.size(),
        pendingCount.get(),
        local.refusals());
  }

  /** Whether the breaker is closed (the store answers). */
  public boolean storeUp() {
    return up.get();
  }

  /** Leases of this gateway's requests in flight. */
  int liveLeases() {
    return live.size();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    store.close();
  }

  /** A release to send: of {@code member}, or of request id {@code member} when {@code byId}. */
  private record Pending(TenantId tenant, String member, long usedTokens, boolean byId) {}

  /** The store said the tenant's window is exhausted; precheck answers so for a moment. */
  private record Block(
      LimitKind kind,
      long used,
      long retryMillis,
      RateLimitHeaders headers,
      long at,
      long validUntil) {}

  /** One request's lease. */
  private final class SharedLease implements Lease {
    final TenantId tenant;
    final String member;
    final AtomicBoolean released = new AtomicBoolean();

    /** Whether the store may hold it: admitted there, or republished by a renewal. */
    volatile boolean published;

    SharedLease(TenantId tenant, String member, boolean published) {
      this.tenant = tenant;
      this.member = member;
      this.published = published;
    }

    @Override
    public void release(long usedTokens) {
      if (!released.compareAndSet(false, true)) {
        return;
      }
      try {
        synchronized (order) {
          live.remove(member);
          if (published) {
            releaseLater(new Pending(tenant, member, usedTokens, false));
          }
        }
      } catch (RuntimeException e) {
        LOG.debugf(e, "releasing a limit lease failed; it expires on its own");
      }
    }
  }
}
