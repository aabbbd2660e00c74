package dev.coemesh.gateway.embedded;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
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
import dev.coemesh.pool.synthetic.SyntheticModels;
import dev.coemesh.pool.upstream.OpenAiUpstreamBackend;
import dev.coemesh.pool.upstream.UpstreamOptions;
import dev.coemesh.router.Router;
import dev.coemesh.router.config.RoutingConfig;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Starts the experts the routing config lists: an embedded source runs in this JVM on an {@link
 * EmbeddedExpertBackend} over the real model files (relative names from {@link SharedModels}; a
 * {@code synthetic:SHAPE} name is a generated model of that shape, see {@link SyntheticModels}), an
 * upstream source is reached through an {@link OpenAiUpstreamBackend}. Embedded experts publish
 * their load and KV-block events on the in-process signal bus the router reads. Requests are served
 * colocated (one replica does prefill and decode), so no KV store is needed on this path.
 */
@Singleton
public class EmbeddedMesh {
  private static final Logger LOG = Logger.getLogger(EmbeddedMesh.class);

  /** Where {@code synthetic:SHAPE} models are written once and reused. */
  private static final Path SYNTHETIC_CACHE =
      Path.of(System.getProperty("java.io.tmpdir"), "coemesh-synthetic-models");

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
  ExpertDirectory experts(Router router, EmbeddedConfig config, SignalBus signals) {
    List<ExpertBackend> backends = new ArrayList<>();
    try {
      for (RoutingConfig.Expert e : router.config().experts()) {
        backends.add(
            switch (e.source()) {
              case RoutingConfig.ModelSource.Embedded m -> embedded(e, m, config.engine(), signals);
              case RoutingConfig.ModelSource.Upstream u -> upstream(e, u, System::getenv);
            });
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

  private static ExpertBackend embedded(
      RoutingConfig.Expert e,
      RoutingConfig.ModelSource.Embedded source,
      EmbeddedConfig.Engine c,
      SignalBus signals) {
    EngineOptions engine;
    SchedulerOptions scheduler;
    try {
      engine = new EngineOptions(c.threads(), e.kvBlockSize(), c.kvBlocks(), c.kvPrecision());
      scheduler = new SchedulerOptions(c.maxRunning(), c.maxPrefillTokensPerStep(), c.maxWaiting());
    } catch (IllegalArgumentException x) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID, "mesh.embedded.engine: " + x.getMessage(), x);
    }
    Path model =
        SyntheticModels.isSynthetic(source.model())
            ? SyntheticModels.materialize(source.model(), SYNTHETIC_CACHE)
            : resolve(source.model());
    Path tokenizer = source.tokenizer() == null ? null : resolve(source.tokenizer());
    Model loaded = ModelLoader.load(model, tokenizer);
    LOG.infof(
        "expert %s: %s on %d thread(s), %d KV blocks", e.name(), model, c.threads(), c.kvBlocks());
    return new EmbeddedExpertBackend(
        e.name(),
        loaded,
        engine,
        scheduler,
        new ReplicaId(e.name(), ReplicaRole.COLOCATED, "embedded-0"),
        signals);
  }

  /** An upstream expert; its API key is read from the environment variable the config names. */
  static ExpertBackend upstream(
      RoutingConfig.Expert e,
      RoutingConfig.ModelSource.Upstream source,
      Function<String, String> environment) {
    String key = "";
    if (source.apiKeyEnv() != null) {
      key = environment.apply(source.apiKeyEnv());
      if (key == null || key.isBlank()) {
        throw new MeshException(
            ErrorCode.CONFIG_INVALID,
            "expert "
                + e.name()
                + ": environment variable "
                + source.apiKeyEnv()
                + " (its api_key_env) is not set");
      }
    }
    UpstreamOptions defaults =
        UpstreamOptions.of(e.name(), source.url(), source.model(), e.contextLength(), 1);
    LOG.infof("expert %s: upstream %s model %s", e.name(), source.url(), source.model());
    return new OpenAiUpstreamBackend(
        new UpstreamOptions(
            e.name(),
            source.url(),
            source.model(),
            key,
            e.contextLength(),
            source.maxConcurrent(),
            defaults.connectTimeout(),
            defaults.headersTimeout(),
            defaults.idleTimeout()));
  }

  /** Absolute paths as they are; names relative to the shared models folder. */
  private static Path resolve(String file) {
    Path p = Path.of(file);
    return p.isAbsolute() ? p : SharedModels.file(file);
  }
}
