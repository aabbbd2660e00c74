package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.gateway.fair.BackendCapacity;
import dev.coemesh.gateway.fair.VtcOptions;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.serve.EmbeddedPool;
import dev.coemesh.gateway.testing.TestRouting;
import dev.coemesh.pool.backend.EmbeddedExpertBackend;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import dev.coemesh.router.Router;
import java.util.List;

/**
 * The real stories260K model as the one embedded expert of a single-expert router: what the
 * orchestrator's lifecycle tests run requests through (1 engine thread, 128 KV blocks of 16).
 */
final class EmbeddedStories implements AutoCloseable {
  static final ExpertId EXPERT = new ExpertId("stories260k");

  final InProcessSignalBus signals = new InProcessSignalBus(4096);
  final Router router = TestRouting.singleExpert(EXPERT.value(), signals);
  final EmbeddedExpertBackend backend;
  final ExpertDirectory experts;

  /**
   * @param replica the replica's name
   * @param maxRunning sequences decoded together; more wait in the fair queue
   */
  EmbeddedStories(String replica, int maxRunning) {
    Model model =
        ModelLoader.load(
            SharedModels.file(SharedModels.STORIES_260K_BIN),
            SharedModels.file(SharedModels.STORIES_260K_TOKENIZER));
    ReplicaId id = new ReplicaId(EXPERT, ReplicaRole.COLOCATED, replica);
    backend =
        new EmbeddedExpertBackend(
            EXPERT,
            model,
            new EngineOptions(1, 16, 128),
            new SchedulerOptions(maxRunning, 512, 64),
            id,
            signals);
    experts =
        new ExpertDirectory(
            List.of(EmbeddedPool.of(id, backend, model.tokenizer(), ChatFormat.PLAIN)));
  }

  /** A fair queue that admits by this expert's capacity. */
  VtcScheduler fairQueue() {
    return new VtcScheduler(
        VtcOptions.defaults(), new BackendCapacity(e -> experts.get(e).capacity()));
  }

  ExpertResolver resolver() {
    return new ExpertResolver(experts, router);
  }

  @Override
  public void close() {
    backend.close();
    router.close();
    signals.close();
  }
}
