package dev.coemesh.routerservice.epp;

import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests the endpoint picker sent to each endpoint whose response has not ended yet. The router
 * counts its placements until the replica's next load report; this counts until the response ends,
 * for the picker's own gauge and for tests that a stream never leaks one.
 */
@Singleton
public class InFlight {
  private final Map<String, AtomicInteger> byEndpoint = new ConcurrentHashMap<>();
  private final AtomicInteger total = new AtomicInteger();

  /** One request on its way to {@code endpoint}; release it exactly once (more is harmless). */
  public final class Lease {
    private final String endpoint;
    private final AtomicBoolean released = new AtomicBoolean();

    private Lease(String endpoint) {
      this.endpoint = endpoint;
    }

    public void release() {
      if (released.compareAndSet(false, true)) {
        byEndpoint.computeIfPresent(endpoint, (k, n) -> n.decrementAndGet() == 0 ? null : n);
        total.decrementAndGet();
      }
    }
  }

  public Lease acquire(String endpoint) {
    byEndpoint.compute(
        endpoint,
        (k, n) -> {
          AtomicInteger count = n == null ? new AtomicInteger() : n;
          count.incrementAndGet();
          return count;
        });
    total.incrementAndGet();
    return new Lease(endpoint);
  }

  public int of(String endpoint) {
    AtomicInteger n = byEndpoint.get(endpoint);
    return n == null ? 0 : n.get();
  }

  public int total() {
    return total.get();
  }
}
