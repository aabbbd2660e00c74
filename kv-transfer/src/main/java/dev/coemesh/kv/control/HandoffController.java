package dev.coemesh.kv.control;

import dev.coemesh.kv.codec.CodecLevel;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Decides, once per request on the prefill side, how the prompt's KV reaches decode: encoded at a
 * codec level through the store, or not at all (CacheGen's text level: decode recomputes the
 * prompt). With a fixed level ({@link HandoffPolicy#fixedLevel()}) every KV ships at that level. In
 * {@code auto} the rule, with every estimate measured by this worker, is
 *
 * <pre>
 * values     = tokens × layers × 2 × kvDim                      the prompt's KV, as the codec counts it
 * recompute  = tokens / prefillRate                             decode redoing the prefill
 * ship(l)    = 2 × values × bits(l) / 8 / throughput            store write + read at level l
 *            + 2 × values × codecCost                           encode + decode
 * decision   = the best of levels 3, 2, 1 with ship(l) ≤ recompute; none: text
 * </pre>
 *
 * <p>{@code prefillRate} (tokens/ms) is an EWMA over this worker's own prefills, engine time
 * without queueing: the decode replica runs the same model, so it recomputes about as fast. {@code
 * throughput} (bytes/ms) and {@code bits(l)} are {@link LevelController}'s EWMAs, fed with every
 * store write (bytes and wall time of the whole write) and every encoded KV (bytes per level);
 * decode reads what prefill wrote, so the read is assumed to cost what the write did. {@code
 * codecCost} (ms per value) is an EWMA of encode time, decode assumed to cost the same. The budget
 * is thus "no slower than recomputing": shipping is worth it only while it beats the recompute it
 * saves. Before the first measurement of a quantity its seed applies: the configured throughput
 * (replaced, not averaged, by the first measured write), {@link LevelController}'s bits per level,
 * a codec cost of 0; the prefill rate is always measured first, since the request's own prefill
 * precedes its decision.
 *
 * <p>Text writes nothing and so measures nothing: once no write has been measured for {@link
 * HandoffPolicy#probeInterval()}, a request that would go as text ships at level 1 instead (a
 * probe, counted as level 1).
 *
 * <p>Every decision is counted ({@link #decisions(CodecLevel)}, {@link #textDecisions()}).
 * Thread-safe; never blocks beyond a short lock.
 */
public final class HandoffController {
  /** EWMA weight of a new observation. */
  static final double ALPHA = 0.25;

  private final CodecLevel fixed;
  private final LevelController levels;
  private final long probeNanos;
  private final LongSupplier nanoClock;
  private double tokensPerMs = Double.NaN;
  private double codecMsPerValue = Double.NaN;
  private long lastTransferNanos;
  private boolean transferMeasured;
  private final AtomicLong[] levelDecisions = {
    new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()
  };
  private final AtomicLong textDecisions = new AtomicLong();
  private final AtomicLong encodedValues = new AtomicLong();
  private final AtomicLong encodedBytes = new AtomicLong();

  public HandoffController(HandoffPolicy policy) {
    this(policy, System::nanoTime);
  }

  /** With {@code nanoClock} as the time source of the probe interval (tests). */
  public HandoffController(HandoffPolicy policy, LongSupplier nanoClock) {
    this.fixed = policy.fixedLevel().orElse(null);
    this.levels = new LevelController(policy.initialMegabytesPerSecond() * 1000, ALPHA);
    this.probeNanos = policy.probeInterval().toNanos();
    this.nanoClock = nanoClock;
    this.lastTransferNanos = nanoClock.getAsLong(); // the configured throughput counts as fresh
  }

  /** Records one prefill of {@code tokens} prompt tokens that took {@code engineMs}. */
  public synchronized void observePrefill(int tokens, double engineMs) {
    if (tokens > 0 && engineMs > 0) {
      double rate = tokens / engineMs;
      tokensPerMs = Double.isNaN(tokensPerMs) ? rate : ALPHA * rate + (1 - ALPHA) * tokensPerMs;
    }
  }

  /** Records the encoding of {@code values} KV values at {@code level}: its size and time. */
  public synchronized void observeEncode(
      CodecLevel level, long values, long bytes, double encodeMs) {
    if (values <= 0) {
      return;
    }
    encodedValues.addAndGet(values);
    encodedBytes.addAndGet(bytes);
    levels.observeSize(level, values, bytes);
    if (encodeMs >= 0) {
      double cost = encodeMs / values;
      codecMsPerValue =
          Double.isNaN(codecMsPerValue) ? cost : ALPHA * cost + (1 - ALPHA) * codecMsPerValue;
    }
  }

  /** Records a store write of {@code bytes} that took {@code millis}, wall time. */
  public synchronized void observeTransfer(long bytes, double millis) {
    if (bytes <= 0 || !(millis > 0)) {
      return;
    }
    if (transferMeasured) {
      levels.observeTransfer(bytes, millis);
    } else {
      levels.resetBandwidth(
          bytes / millis); // the configured guess gives way to the first measurement
      transferMeasured = true;
    }
    lastTransferNanos = nanoClock.getAsLong();
  }

  /**
   * The handoff of one request's KV, counted.
   *
   * @param tokens prompt tokens
   * @param values KV values of the prompt (tokens × layers × 2 × kvDim)
   */
  public synchronized LevelController.Decision decide(int tokens, long values) {
    LevelController.Decision decision =
        fixed != null ? fixedDecision() : autoDecision(tokens, values);
    switch (decision) {
      case LevelController.Decision.Encode e -> levelDecisions[e.level().id()].incrementAndGet();
      case LevelController.Decision.Text t -> textDecisions.incrementAndGet();
    }
    return decision;
  }

  private LevelController.Decision fixedDecision() {
    return new LevelController.Decision.Encode(fixed, Double.NaN);
  }

  private LevelController.Decision autoDecision(int tokens, long values) {
    double recomputeMs =
        Double.isNaN(tokensPerMs) ? Double.POSITIVE_INFINITY : tokens / tokensPerMs;
    double codecMs = 2 * values * (Double.isNaN(codecMsPerValue) ? 0 : codecMsPerValue);
    // ship(l) <= recompute  <=>  one transfer <= (recompute - codec) / 2
    double oneWayBudgetMs = (recomputeMs - codecMs) / 2;
    LevelController.Decision decision = levels.choose(values, oneWayBudgetMs, 1);
    long now = nanoClock.getAsLong();
    if (decision instanceof LevelController.Decision.Text text
        && now - lastTransferNanos >= probeNanos) {
      lastTransferNanos = now; // one probe per interval, even under concurrent decisions
      return new LevelController.Decision.Encode(CodecLevel.LEVEL_1, text.bestLevelMs());
    }
    return decision;
  }

  /** Requests whose KV was shipped at {@code level} (probes included). */
  public long decisions(CodecLevel level) {
    return levelDecisions[level.id()].get();
  }

  /** Requests sent as text: decode recomputes their prompt. */
  public long textDecisions() {
    return textDecisions.get();
  }

  /** KV values (keys and values of every layer and position) encoded for a handoff so far. */
  public long encodedValues() {
    return encodedValues.get();
  }

  /** Bytes those values took once encoded (the blobs written to the store). */
  public long encodedBytes() {
    return encodedBytes.get();
  }

  /** The measured store throughput, bytes per millisecond. */
  public double bandwidthBytesPerMs() {
    return levels.bandwidthBytesPerMs();
  }
}
