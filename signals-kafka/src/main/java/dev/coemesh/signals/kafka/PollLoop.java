package dev.coemesh.signals.kafka;

import static java.lang.System.Logger.Level.WARNING;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The poll thread's life shared by the bus's consumers: run one turn after another until closed,
 * ride out whatever a turn throws, then close the consumer, bounded even with the broker gone.
 */
final class PollLoop {
  private static final System.Logger LOG = System.getLogger(PollLoop.class.getName());
  static final Duration ERROR_BACKOFF = Duration.ofSeconds(1);
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

  private PollLoop() {}

  /**
   * @param turn one poll and its handling; a {@link WakeupException} only makes the loop check
   *     {@code closing} again
   * @param what names the consumer in logs
   */
  static void run(
      KafkaConsumer<?, ?> consumer, BooleanSupplier closing, Runnable turn, String what) {
    try {
      while (!closing.getAsBoolean()) {
        try {
          turn.run();
        } catch (WakeupException e) {
          // a wakeup from another thread (a change or close): the loop re-reads its state
        } catch (RuntimeException e) {
          // Broker outages and coordinator moves surface here; ending the loop would silently end
          // every subscription, so back off and poll again. A stray interrupt is cleared for the
          // same reason (only closing stops this thread); left set, it would spin the loop.
          Thread.interrupted();
          LOG.log(WARNING, what + " poll failed; retrying in " + ERROR_BACKOFF, e);
          LockSupport.parkNanos(ERROR_BACKOFF.toNanos());
        }
      }
    } finally {
      try {
        consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
      } catch (RuntimeException e) {
        LOG.log(WARNING, what + " did not close cleanly", e);
      }
    }
  }
}
