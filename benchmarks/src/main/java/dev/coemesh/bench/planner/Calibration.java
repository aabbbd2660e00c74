package dev.coemesh.bench.planner;

import dev.coemesh.bench.disagg.Deployment;
import dev.coemesh.bench.disagg.LoadRun;
import dev.coemesh.bench.disagg.Workload;
import dev.coemesh.planner.sim.Engine;
import dev.coemesh.planner.sim.KvHandoff;
import dev.coemesh.planner.sim.Placement;
import dev.coemesh.planner.sim.RequestOutcome;
import dev.coemesh.planner.sim.SimulationResult;
import dev.coemesh.planner.sim.Simulator;
import dev.coemesh.planner.workload.Request;
import dev.coemesh.pool.synthetic.SyntheticModel;
import dev.coemesh.testkit.RedisServer;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The simulator against the real mesh on this machine: one stream of requests (the simulator's own
 * arrivals and lengths) is sent to real workers of the stories15M-shape synthetic model, colocated
 * (one replica pinned to core 0) and disaggregated (a prefill process on core 0 and a decode
 * process on core 1, the KV through a real redis-server), and is simulated with the measured
 * profile. The worker processes are those of {@code ./mesh bench disagg} ({@link Deployment}).
 *
 * <p>The KV handoff is not in the profile: each stage (encode, transfer, decode) is fitted from a
 * second, warm pass of the disaggregated warm-up against prompt length ({@link #handoff}), before
 * any measured run, so it is a measurement and not a fit to the runs it is then compared with.
 */
final class Calibration implements AutoCloseable {
  static final Placement COLOCATED = new Placement.Colocated(1);
  static final Placement DISAGGREGATED = new Placement.Disaggregated(1, 1);
  private static final int DRAIN_S = 60;

  private final RedisServer redis;
  private final Deployment colocated;
  private final Deployment disaggregated;
  private final KvHandoff handoff;
  private final int vocabulary;

  private Calibration(
      RedisServer redis,
      Deployment colocated,
      Deployment disaggregated,
      KvHandoff handoff,
      int vocabulary) {
    this.redis = redis;
    this.colocated = colocated;
    this.disaggregated = disaggregated;
    this.handoff = handoff;
    this.vocabulary = vocabulary;
  }

  /** One placement's measured and simulated percentiles for one stream. */
  record Run(
      Placement placement, int requests, int failed, Percentiles measured, Percentiles simulated) {
    Percentiles error() {
      return simulated.relativeErrorAgainst(measured);
    }
  }

  /** Starts redis and both deployments, warms them up and fits the handoff. */
  static Calibration start(Path model, Path tokenizer, int codecLevel, List<Request> warmup)
      throws InterruptedException {
    RedisServer redis = RedisServer.startNew();
    Deployment colocated = null;
    Deployment disaggregated = null;
    try {
      Deployment.Target target = new Deployment.Target(model, tokenizer, redis.uri(), codecLevel);
      colocated = Deployment.colocatedReplicas(target, 1, true);
      disaggregated = Deployment.disaggregated(target, true);
      int vocabulary = SyntheticModel.STORIES_15M.vocabSize();
      Workload.Request[] real = prompts(warmup, vocabulary, 1000);
      double[] offsets = offsets(warmup);
      LoadRun.run(colocated.serving(), real, offsets, DRAIN_S);
      // the first pass warms the JIT up (its codec times are several times the steady ones); the
      // handoff is fitted on the second
      LoadRun.run(disaggregated.serving(), real, offsets, DRAIN_S);
      LoadRun.Outcome[] handoffs = LoadRun.run(disaggregated.serving(), real, offsets, DRAIN_S);
      return new Calibration(
          redis, colocated, disaggregated, fitHandoff(warmup, handoffs), vocabulary);
    } catch (RuntimeException | InterruptedException e) {
      if (colocated != null) {
        colocated.close();
      }
      if (disaggregated != null) {
        disaggregated.close();
      }
      redis.close();
      throw e;
    }
  }

  /** The measured KV handoff: least squares of encode + transfer + decode ms on prompt length. */
  KvHandoff handoff() {
    return handoff;
  }

  /** Sends {@code requests} to the real {@code placement} and simulates them on {@code engine}. */
  Run run(Placement placement, List<Request> requests, Engine engine, long seed)
      throws InterruptedException {
    Deployment deployment = placement.equals(COLOCATED) ? colocated : disaggregated;
    LoadRun.Outcome[] outcomes =
        LoadRun.run(
            deployment.serving(), prompts(requests, vocabulary, seed), offsets(requests), DRAIN_S);
    double[] ttft = new double[outcomes.length];
    double[] tpot = new double[outcomes.length];
    int failed = 0;
    for (int i = 0; i < outcomes.length; i++) {
      ttft[i] = outcomes[i].ttftMs();
      tpot[i] = outcomes[i].tpotMs();
      failed += outcomes[i].ok() ? 0 : 1;
    }
    SimulationResult simulated = new Simulator(engine).run(placement, requests);
    double[] simTtft = simulated.outcomes().stream().mapToDouble(RequestOutcome::ttftMs).toArray();
    double[] simTpot = simulated.outcomes().stream().mapToDouble(RequestOutcome::tpotMs).toArray();
    return new Run(
        placement,
        requests.size(),
        failed,
        Percentiles.of(ttft, tpot),
        Percentiles.of(simTtft, simTpot));
  }

  /** Each stage of the handoff fitted on its own: encode, transfer (write + read), decode. */
  private static KvHandoff fitHandoff(List<Request> requests, LoadRun.Outcome[] outcomes) {
    return KvHandoff.measured(
        fit(requests, outcomes, LoadRun.Outcome::kvEncodeMs),
        fit(requests, outcomes, LoadRun.Outcome::kvTransferMs),
        fit(requests, outcomes, LoadRun.Outcome::kvDecodeMs));
  }

  /** Least squares of one stage's ms on prompt length, over the requests that recorded it. */
  private static KvHandoff.Stage fit(
      List<Request> requests,
      LoadRun.Outcome[] outcomes,
      java.util.function.ToDoubleFunction<LoadRun.Outcome> stage) {
    double n = 0;
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (int i = 0; i < outcomes.length; i++) {
      double ms = stage.applyAsDouble(outcomes[i]);
      if (outcomes[i].ok() && Double.isFinite(ms)) {
        double x = requests.get(i).inputTokens();
        n++;
        sx += x;
        sy += ms;
        sxx += x * x;
        sxy += x * ms;
      }
    }
    if (n < 2) {
      throw new IllegalStateException("the warm-up recorded no KV handoff timings");
    }
    double denominator = n * sxx - sx * sx;
    double slope = denominator == 0 ? 0 : Math.max(0, (n * sxy - sx * sy) / denominator);
    return new KvHandoff.Stage(Math.max(0, (sy - slope * sx) / n), slope);
  }

  /** Random ordinary token ids after BOS, one prompt per request, {@code maxTokens} = output. */
  private static Workload.Request[] prompts(List<Request> requests, int vocabulary, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Workload.Request[] out = new Workload.Request[requests.size()];
    for (int i = 0; i < out.length; i++) {
      Request r = requests.get(i);
      int[] prompt = new int[r.inputTokens()];
      prompt[0] = Workload.BOS;
      for (int t = 1; t < prompt.length; t++) {
        prompt[t] = Workload.FIRST_ORDINARY + random.nextInt(vocabulary - Workload.FIRST_ORDINARY);
      }
      out[i] = new Workload.Request(prompt, r.outputTokens(), false);
    }
    return out;
  }

  private static double[] offsets(List<Request> requests) {
    return requests.stream().mapToDouble(Request::arrivalMs).toArray();
  }

  @Override
  public void close() {
    colocated.close();
    disaggregated.close();
    redis.close();
  }
}
