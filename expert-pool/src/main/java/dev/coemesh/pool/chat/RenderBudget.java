package dev.coemesh.pool.chat;

import java.time.Clock;

/**
 * The state of one rendering: the work left under its {@link RenderLimits}, the clock that {@code
 * strftime_now} reads, and why the rendering stopped, if it did. Jinjava gives template functions
 * and its node hook no handle of their own, and collects their exceptions as template errors rather
 * than stopping, so the rendering thread carries its budget in {@link #CURRENT}: a rendering runs
 * on one thread from start to end.
 */
final class RenderBudget {
  static final ThreadLocal<RenderBudget> CURRENT = new ThreadLocal<>();

  private final RenderLimits limits;
  private final long deadlineNanos;
  private final Clock clock;
  private long nodes;
  private String raised;
  private String exceeded;

  RenderBudget(RenderLimits limits, Clock clock) {
    this.limits = limits;
    this.clock = clock;
    this.deadlineNanos = System.nanoTime() + limits.maxDuration().toNanos();
  }

  /** The current thread's budget; templates are rendered only inside {@link JinjaChatFormat}. */
  static RenderBudget current() {
    RenderBudget budget = CURRENT.get();
    if (budget == null) {
      throw new IllegalStateException("no chat template rendering on this thread");
    }
    return budget;
  }

  /**
   * Called before every node Jinjava renders: stops a rendering that raised, or that is over its
   * node count or its time, by throwing out of the node (Jinjava aborts the tag it is in).
   */
  void chargeNode() {
    if (raised != null || exceeded != null) {
      throw new Stopped();
    }
    if (++nodes > limits.maxNodes()) {
      exceeded = "visited more than " + limits.maxNodes() + " template nodes";
      throw new Stopped();
    }
    if (System.nanoTime() - deadlineNanos > 0) {
      exceeded = "ran longer than " + limits.maxDuration().toMillis() + " ms";
      throw new Stopped();
    }
  }

  /** The template called {@code raise_exception(message)}: the rendering is refused. */
  Stopped raise(String message) {
    if (raised == null) {
      raised = message;
    }
    return new Stopped();
  }

  Clock clock() {
    return clock;
  }

  /** The template's own refusal, or null. */
  String raised() {
    return raised;
  }

  /** Which limit the rendering ran over, or null. */
  String exceeded() {
    return exceeded;
  }

  /** Thrown to leave the rendering; the reason is in the budget, whatever Jinjava wraps this in. */
  static final class Stopped extends RuntimeException {
    Stopped() {
      super("chat template rendering stopped", null, false, false);
    }
  }
}
