package dev.coemesh.core.signal;

import dev.coemesh.core.spi.SignalBus;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The embedded mode's signal bus: a bounded queue drained by one daemon thread, so publishers never
 * block and subscribers see events in publication order. When the queue is full the event is
 * dropped and counted, as a signal may be lost but a request may not be slowed.
 */
public final class InProcessSignalBus implements SignalBus {
  private static final Logger LOG = Logger.getLogger(InProcessSignalBus.class.getName());

  private record Subscription<E extends SignalEvent>(Class<E> type, Consumer<? super E> consumer) {
    void offer(SignalEvent event) {
      if (type.isInstance(event)) {
        consumer.accept(type.cast(event));
      }
    }
  }

  private final BlockingQueue<SignalEvent> queue;
  private final List<Subscription<?>> subscriptions = new CopyOnWriteArrayList<>();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();
  private final Thread worker;
  private volatile boolean running = true;

  public InProcessSignalBus(int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.worker = Thread.ofPlatform().daemon().name("signal-bus").start(this::drain);
  }

  @Override
  public void publish(SignalEvent event) {
    if (!running || !queue.offer(event)) {
      dropped.incrementAndGet();
    }
  }

  @Override
  public <E extends SignalEvent> AutoCloseable subscribe(
      Class<E> type, Consumer<? super E> subscriber) {
    Subscription<E> subscription = new Subscription<>(type, subscriber);
    subscriptions.add(subscription);
    return () -> subscriptions.remove(subscription);
  }

  /** Events dropped because the queue was full or the bus closed. */
  public long droppedCount() {
    return dropped.get();
  }

  public long deliveredCount() {
    return delivered.get();
  }

  private void drain() {
    while (running || !queue.isEmpty()) {
      SignalEvent event;
      try {
        event = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (event == null) {
        continue;
      }
      for (Subscription<?> subscription : subscriptions) {
        try {
          subscription.offer(event);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "signal subscriber failed on " + event.topic(), e);
        }
      }
      delivered.incrementAndGet();
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      worker.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
