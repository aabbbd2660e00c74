package dev.coemesh.pool.tokenizer;

import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Asks a tokenization's cancellation flag once per {@value #INTERVAL} units of work (characters,
 * bytes, words, merges), so a flag that is costly to read adds nothing measurable.
 */
final class CancellationPoll {
  static final int INTERVAL = 4096;

  private final BooleanSupplier cancelled;
  private int untilPoll = INTERVAL;

  CancellationPoll(BooleanSupplier cancelled) {
    this.cancelled = cancelled;
  }

  void tick() {
    work(1);
  }

  /** Counts {@code units} of work; throws when a poll finds the flag set. */
  void work(int units) {
    untilPoll -= units;
    if (untilPoll <= 0) {
      untilPoll = INTERVAL;
      if (cancelled.getAsBoolean()) {
        throw new CancellationException("tokenization cancelled");
      }
    }
  }
}
