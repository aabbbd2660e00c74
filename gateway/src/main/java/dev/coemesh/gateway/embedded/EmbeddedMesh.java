package dev.coemesh.gateway.embedded;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.pool.backend.EmbeddedExpertBackend;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Wires the embedded mesh: every configured expert served in this JVM by an {@link
 * EmbeddedExpertBackend} over the real model files (from {@link SharedModels}), and the in-process
 * signal bus their KV-block events go to. Requests are served colocated (one replica does prefill
 * and decode), so no KV store is needed on this path.
 */
@Singleton
public class EmbeddedMesh {
  private static final Logger LOG = Logger.getLogger(EmbeddedMesh.class);

  @Produces
  @Singleton
  SignalBus signalBus(EmbeddedConfig config) {
    return new InProcessSignalBus(config.signalBusCapacity());
  }

  void closeSignalBus(@Disposes SignalBus bus) {
    bus.close();
  }

  @Produces
  @Singleton
  ExpertDirectory experts(EmbeddedConfig config, SignalBus signals) {
    if (config.experts().isEmpty()) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID, "no experts configured (mesh.embedded.experts.<id>.model)");
    }
    List<ExpertBackend> backends = new ArrayList<>();
    try {
      // sorted so that listings are stable (configuration maps have no order)
      for (Map.Entry<String, EmbeddedConfig.Expert> e :
          new java.util.TreeMap<>(config.experts()).entrySet()) {
        backends.add(start(e.getKey(), e.getValue(), signals));
      }
    } catch (RuntimeException e) {
      backends.forEach(ExpertBackend::close);
      throw e;
    }
    return new ExpertDirectory(backends);
  }

  void closeExperts(@Disposes ExpertDirectory experts) {
    experts.all().forEach(ExpertBackend::close);
  }

  private static ExpertBackend start(String id, EmbeddedConfig.Expert c, SignalBus signals) {
    String where = "mesh.embedded.experts." + id;
    ExpertId expert;
    EngineOptions engine;
    SchedulerOptions scheduler;
    try {
      expert = new ExpertId(id);
      engine = new EngineOptions(c.threads(), c.blockSize(), c.kvBlocks());
      scheduler = new SchedulerOptions(c.maxRunning(), c.maxPrefillTokensPerStep(), c.maxWaiting());
    } catch (IllegalArgumentException e) {
      throw new MeshException(ErrorCode.CONFIG_INVALID, where + ": " + e.getMessage(), e);
    }
    Path model = resolve(c.model());
    Path tokenizer = c.tokenizer().map(EmbeddedMesh::resolve).orElse(null);
    Model loaded = ModelLoader.load(model, tokenizer);
    LOG.infof("expert %s: %s on %d thread(s), %d KV blocks", id, model, c.threads(), c.kvBlocks());
    return new EmbeddedExpertBackend(
        expert,
        loaded,
        engine,
        scheduler,
        new ReplicaId(expert, ReplicaRole.COLOCATED, "embedded-0"),
        signals);
  }

  /** Absolute paths as they are; names relative to the shared models folder. */
  private static Path resolve(String file) {
    Path p = Path.of(file);
    return p.isAbsolute() ? p : SharedModels.file(file);
  }
}
