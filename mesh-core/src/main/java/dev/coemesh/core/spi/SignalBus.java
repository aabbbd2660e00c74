package dev.coemesh.core.spi;

import dev.coemesh.core.signal.SignalEvent;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Publishes and delivers the mesh's scheduling and fairness signals (Kafka in distributed mode, an
 * in-process bus in embedded mode). Signals steer decisions but never carry request data, so a lost
 * signal degrades a decision, never a request: {@link #publish} must not throw on transport
 * failure, only count it.
 *
 * <p>Thread-safe. Subscribers are called on the bus's delivery thread and must not block.
 */
public interface SignalBus extends AutoCloseable {

  void publish(SignalEvent event);

  /** Delivers every later event of {@code type} (and its subtypes); returns a handle to stop. */
  <E extends SignalEvent> AutoCloseable subscribe(Class<E> type, Consumer<? super E> subscriber);

  /**
   * Like {@link #subscribe}, but first delivers the retained events of {@code type} published in
   * the last {@code history}, oldest first, so that a process that starts late or restarts can
   * rebuild state that other processes built from those events (fair-share counters). A bus that
   * keeps no history (the in-process one) delivers only later events.
   */
  default <E extends SignalEvent> AutoCloseable subscribeWithHistory(
      Class<E> type, Duration history, Consumer<? super E> subscriber) {
    return subscribe(type, subscriber);
  }

  @Override
  void close();
}
