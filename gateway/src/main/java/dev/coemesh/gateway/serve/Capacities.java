package dev.coemesh.gateway.serve;

import dev.coemesh.core.spi.ExpertBackend;
import java.util.stream.Stream;

/** A pool's capacity as the sum of its replicas'. */
final class Capacities {
  private Capacities() {}

  static ExpertBackend.Capacity sum(Stream<ExpertBackend.Capacity> replicas) {
    int free = 0;
    int total = 0;
    int running = 0;
    int waiting = 0;
    int slots = 0;
    for (ExpertBackend.Capacity c : (Iterable<ExpertBackend.Capacity>) replicas::iterator) {
      free += c.freeKvBlocks();
      total += c.totalKvBlocks();
      running += c.runningSequences();
      waiting += c.waitingSequences();
      slots += c.maxRunningSequences();
    }
    return new ExpertBackend.Capacity(free, total, running, waiting, slots);
  }
}
