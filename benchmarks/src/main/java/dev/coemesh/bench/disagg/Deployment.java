package dev.coemesh.bench.disagg;

import dev.coemesh.worker.client.StaticPool;
import dev.coemesh.worker.process.WorkerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The worker processes of one serving mode on this machine, and the client that drives them:
 * colocated (one process, every core, both phases) or disaggregated (a prefill process and a decode
 * process, each pinned to its own core with {@code taskset}).
 */
public final class Deployment implements AutoCloseable {
  private static final Duration CALL_DEADLINE = Duration.ofSeconds(120);

  private final String setup;
  private final List<WorkerProcess> processes;
  private final LoadRun.Serving serving;
  private final WorkerProcess decode;

  private Deployment(
      String setup, List<WorkerProcess> processes, LoadRun.Serving serving, WorkerProcess decode) {
    this.setup = setup;
    this.processes = processes;
    this.serving = serving;
    this.decode = decode;
  }

  /** Where the model is, where the KV goes, and how it is encoded. */
  public record Target(Path model, Path tokenizer, String redisUrl, int codecLevel) {
    List<String> args(String role, int threads) {
      return List.of(
          "--role",
          role,
          "--model",
          model.toString(),
          "--tokenizer",
          tokenizer.toString(),
          "--redis",
          redisUrl,
          "--level",
          Integer.toString(codecLevel),
          "--threads",
          Integer.toString(threads),
          "--kv-ttl-s",
          "120",
          "--fetch-timeout-ms",
          "5000");
    }
  }

  public static Deployment colocated(Target target, int cores) {
    WorkerProcess worker =
        WorkerProcess.start(
            "colocated", List.of(), jvm(cores), target.args("decode", cores), CALL_DEADLINE);
    StaticPool client = new StaticPool(List.of(worker.client()), List.of(), List.of());
    return new Deployment(
        "one process, " + cores + " engine threads on all cores, both phases",
        List.of(worker),
        client::generate,
        worker);
  }

  /** One colocated 1-thread replica per core (pinned), requests spread round-robin. */
  public static Deployment colocatedReplicas(Target target, int cores, boolean pin) {
    List<WorkerProcess> started = new ArrayList<>();
    try {
      for (int core = 0; core < cores; core++) {
        started.add(
            WorkerProcess.start(
                "colocated-" + core,
                pin(pin, core),
                jvm(1),
                target.args("decode", 1),
                CALL_DEADLINE));
      }
      StaticPool client =
          new StaticPool(
              started.stream().map(WorkerProcess::client).toList(), List.of(), List.of());
      return new Deployment(
          cores
              + " colocated processes"
              + (pin ? ", each pinned to its own core (taskset)" : "")
              + ", 1 engine thread each, both phases, requests round-robin",
          started,
          client::generate,
          started.getFirst());
    } catch (RuntimeException e) {
      started.forEach(WorkerProcess::close);
      throw e;
    }
  }

  public static Deployment disaggregated(Target target, boolean pin) {
    List<WorkerProcess> started = new ArrayList<>();
    try {
      WorkerProcess prefill =
          WorkerProcess.start(
              "prefill", pin(pin, 0), jvm(1), target.args("prefill", 1), CALL_DEADLINE);
      started.add(prefill);
      WorkerProcess decode =
          WorkerProcess.start(
              "decode", pin(pin, 1), jvm(1), target.args("decode", 1), CALL_DEADLINE);
      started.add(decode);
      StaticPool client =
          new StaticPool(List.of(), List.of(prefill.client()), List.of(decode.client()));
      return new Deployment(
          (pin ? "prefill process on core 0 and decode process on core 1 (taskset)" : "unpinned")
              + ", 1 engine thread each, KV through Redis at codec level "
              + target.codecLevel(),
          started,
          client::generate,
          decode);
    } catch (RuntimeException e) {
      started.forEach(WorkerProcess::close);
      throw e;
    }
  }

  private static List<String> pin(boolean pin, int core) {
    return pin ? List.of("taskset", "-c", Integer.toString(core)) : List.of();
  }

  private static List<String> jvm(int cores) {
    return List.of("-Xmx768m", "-XX:+UseSerialGC", "-XX:ActiveProcessorCount=" + cores);
  }

  public String setup() {
    return setup;
  }

  public LoadRun.Serving serving() {
    return serving;
  }

  /** Text fallbacks the decode side counted, by reason. */
  public java.util.Map<String, Long> fallbacks() {
    return decode.client().load().getFallbacksMap();
  }

  @Override
  public void close() {
    processes.forEach(WorkerProcess::close);
  }
}
