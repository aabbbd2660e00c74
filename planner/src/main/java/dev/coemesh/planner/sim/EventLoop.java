package dev.coemesh.planner.sim;

import java.util.PriorityQueue;

/** Simulated time: actions run in time order, ties in scheduling order, so runs are repeatable. */
final class EventLoop {
  private record Event(double timeMs, long order, Runnable action) {}

  private final PriorityQueue<Event> events =
      new PriorityQueue<>(
          (a, b) ->
              a.timeMs != b.timeMs
                  ? Double.compare(a.timeMs, b.timeMs)
                  : Long.compare(a.order, b.order));
  private long scheduled;
  private double nowMs;

  double nowMs() {
    return nowMs;
  }

  void at(double timeMs, Runnable action) {
    events.add(new Event(timeMs, scheduled++, action));
  }

  void run() {
    while (!events.isEmpty()) {
      Event next = events.poll();
      nowMs = next.timeMs;
      next.action.run();
    }
  }
}
