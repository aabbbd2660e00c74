package dev.coemesh.planner.sim;

import dev.coemesh.planner.workload.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A discrete-event simulation of one expert's deployment. Deterministic: the same engine, placement
 * and requests always give the same outcomes.
 */
public final class Simulator {
  private final Engine engine;

  public Simulator(Engine engine) {
    this.engine = Objects.requireNonNull(engine, "engine");
  }

  public SimulationResult run(Placement placement, List<Request> requests) {
    EventLoop loop = new EventLoop();
    List<RequestOutcome> outcomes = new ArrayList<>(requests.size());
    List<? extends Replica> entry =
        switch (placement) {
          case Placement.Colocated c -> colocated(c, loop, outcomes);
          case Placement.Disaggregated d -> disaggregated(d, loop, outcomes);
        };
    for (Request request : requests) {
      loop.at(request.arrivalMs(), () -> leastLoaded(entry).enqueue(new Sequence(request)));
    }
    loop.run();
    if (outcomes.size() != requests.size()) {
      throw new IllegalStateException(
          "simulation ended with " + (requests.size() - outcomes.size()) + " requests unfinished");
    }
    return new SimulationResult(placement, outcomes);
  }

  private List<ColocatedReplica> colocated(
      Placement.Colocated placement, EventLoop loop, List<RequestOutcome> outcomes) {
    List<ColocatedReplica> replicas = new ArrayList<>();
    for (int i = 0; i < placement.replicas(); i++) {
      replicas.add(new ColocatedReplica(engine, loop, s -> outcomes.add(s.outcome())));
    }
    return replicas;
  }

  private List<PrefillReplica> disaggregated(
      Placement.Disaggregated placement, EventLoop loop, List<RequestOutcome> outcomes) {
    List<DecodeReplica> decoders = new ArrayList<>();
    for (int i = 0; i < placement.decode(); i++) {
      decoders.add(new DecodeReplica(engine, loop, s -> outcomes.add(s.outcome())));
    }
    List<PrefillReplica> prefillers = new ArrayList<>();
    for (int i = 0; i < placement.prefill(); i++) {
      prefillers.add(
          new PrefillReplica(
              engine,
              loop,
              s -> outcomes.add(s.outcome()),
              (source, sequence) -> {
                DecodeReplica target = leastLoaded(decoders);
                target.expect();
                double transferMs = engine.handoff().transferMs(sequence.request.inputTokens());
                loop.at(
                    loop.nowMs() + transferMs,
                    () -> {
                      source.transferred(sequence);
                      target.arrive(sequence);
                    });
              }));
    }
    return prefillers;
  }

  /** Least in-progress plus queued work; ties go to the lowest index. */
  private static <R extends Replica> R leastLoaded(List<R> replicas) {
    R best = replicas.getFirst();
    for (R replica : replicas) {
      if (replica.load() < best.load()) {
        best = replica;
      }
    }
    return best;
  }
}
