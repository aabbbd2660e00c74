package dev.coemesh.pool.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that split index ranges for the engine's matmuls and attention. The
 * calling thread takes the first share, so a pool of 1 runs everything inline. Workers spin briefly
 * before parking because the engine issues many short parallel sections per token.
 *
 * <p>One parallel section at a time: the engine's step loop is single-threaded above this pool.
 */
public final class WorkerPool implements AutoCloseable {
  /** Work on the index range [from, to). */
  @FunctionalInterface
  public interface RangeBody {
    void run(int from, int to);
  }

  private static final int SPIN_ITERATIONS = 20_000;

  private final int threads;
  private final Thread[] workers;
  private volatile RangeBody body;
  private volatile int total;
  private volatile int parts;
  private volatile long generation;
  private final AtomicInteger pending = new AtomicInteger();
  private volatile Thread caller;
  private volatile boolean closed;
  private volatile Throwable failure;

  public WorkerPool(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, was " + threads);
    }
    this.threads = threads;
    this.workers = new Thread[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      int index = i + 1;
      workers[i] =
          Thread.ofPlatform().daemon().name("engine-worker-" + index).start(() -> work(index));
    }
  }

  public int threads() {
    return threads;
  }

  /**
   * Runs {@code body} over [0, n) split into contiguous shares; returns when all are done. Work
   * below {@code minPerThread} items per thread runs on fewer threads.
   */
  public void parallelFor(int n, int minPerThread, RangeBody body) {
    int useful = Math.min(threads, Math.max(1, n / Math.max(1, minPerThread)));
    if (useful <= 1) {
      body.run(0, n);
      return;
    }
    this.body = body;
    this.total = n;
    this.parts = useful;
    this.failure = null;
    this.caller = Thread.currentThread();
    pending.set(useful - 1);
    generation++; // publishes the fields above to the workers (volatile write)
    for (int i = 1; i < useful; i++) {
      LockSupport.unpark(workers[i - 1]);
    }
    body.run(0, share(n, useful, 1));
    int spins = 0;
    while (pending.get() > 0) {
      if (++spins > SPIN_ITERATIONS) {
        LockSupport.parkNanos(50_000);
      } else {
        Thread.onSpinWait();
      }
    }
    Throwable t = failure;
    if (t != null) {
      throw new IllegalStateException("engine worker failed: " + t, t);
    }
  }

  private static int share(int n, int parts, int index) {
    return (int) ((long) n * index / parts);
  }

  private void work(int index) {
    long seen = 0;
    while (!closed) {
      int spins = 0;
      while (generation == seen && !closed) {
        if (++spins > SPIN_ITERATIONS) {
          LockSupport.park(this);
        } else {
          Thread.onSpinWait();
        }
      }
      if (closed) {
        return;
      }
      seen = generation;
      int p = parts;
      if (index < p) {
        try {
          body.run(share(total, p, index), share(total, p, index + 1));
        } catch (Throwable t) {
          failure = t;
        } finally {
          if (pending.decrementAndGet() == 0) {
            LockSupport.unpark(caller);
          }
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Thread worker : workers) {
      LockSupport.unpark(worker);
    }
  }
}
