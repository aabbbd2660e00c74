package dev.coemesh.gateway.embedded;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.serve.EmbeddedPool;
import dev.coemesh.gateway.serve.ExpertPool;
import dev.coemesh.gateway.serve.RemotePool;
import dev.coemesh.gateway.serve.SeedProbe;
import dev.coemesh.gateway.serve.ServingConfig;
import dev.coemesh.gateway.serve.UpstreamPool;
import dev.coemesh.gateway.serve.WorkerChannels;
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
import dev.coemesh.signals.kafka.SignalSettings;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.trace.WorkerTracing;
import io.opentelemetry.api.OpenTelemetry;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Starts the experts the routing config lists, as pools the router places requests on:
 *
 * <ul>
 *   <li>an embedded source in the embedded mode ({@code mesh.serving.pools=embedded}): {@code
 *       mesh.embedded.replicas} {@link EmbeddedExpertBackend}s in this JVM over the real model
 *       files (relative names from {@link SharedModels}; a {@code synthetic:SHAPE} name is a
 *       generated model of that shape, see {@link SyntheticModels}), reporting their load and
 *       KV-block events on the in-process signal bus;
 *   <li>an embedded source in the distributed mode ({@code mesh.serving.pools=remote}): a {@link
 *       RemotePool} over the worker processes that announce themselves on the signal bus (Kafka) or
 *       are listed as seeds ({@code mesh.serving.remote.seeds}, polled by a {@link SeedProbe}),
 *       with the model file opened here only for its tokenizer;
 *   <li>an upstream source: an {@link OpenAiUpstreamBackend}.
 * </ul>
 */
@Singleton
public class EmbeddedMesh {
  private static final Logger LOG = Logger.getLogger(EmbeddedMesh.class);

  private SeedProbe seeds; // remote pools with seeds in the config only

  /** Kafka when {@code mesh.signals.kafka.bootstrap-servers} is set, else in process. */
  @Produces
  @Singleton
  SignalBus signalBus(SignalSettings settings) {
    settings.kafka().bootstrapServers().ifPresent(s -> LOG.infof("signals over Kafka at %s", s));
    return settings.bus("coemesh-gateway");
  }

  void closeSignalBus(@Disposes SignalBus bus) {
    bus.close();
  }

  @Produces
  @Singleton
  WorkerChannels workerChannels(ServingConfig serving, OpenTelemetry openTelemetry) {
    ServingConfig.Remote remote = serving.remote();
    MeshCredential credential =
        serving.pools() == ServingConfig.Pools.REMOTE
            ? MeshCredential.load(remote.credentialFile().orElse(null))
            : null;
    return new WorkerChannels(
        remote.callDeadline(),
        () -> {
          if (credential == null) {
            throw new IllegalStateException("no mesh credential: pools are not remote");
          }
          return credential;
        },
        WorkerTracing.of(openTelemetry));
  }

  void closeWorkerChannels(@Disposes WorkerChannels channels) {
    channels.close();
  }

  @Produces
  @Singleton
  ExpertDirectory experts(
      Router router,
      EmbeddedConfig config,
      ServingConfig serving,
      SignalBus signals,
      WorkerChannels channels) {
    List<ExpertPool> pools = new ArrayList<>();
    try {
      for (RoutingConfig.Expert e : router.config().experts()) {
        pools.add(
            switch (e.source()) {
              case RoutingConfig.ModelSource.Embedded m ->
                  switch (serving.pools()) {
                    case EMBEDDED -> embedded(e, m, config, signals);
                    case REMOTE -> remote(e, m, router, channels, serving.remote());
                  };
              case RoutingConfig.ModelSource.Upstream u ->
                  new UpstreamPool(upstream(e, u, System::getenv, channels.tracing()::headers));
            });
      }
      if (serving.pools() == ServingConfig.Pools.REMOTE) {
        seeds = seedProbe(serving.remote(), pools, router, channels);
      }
    } catch (RuntimeException e) {
      pools.forEach(ExpertPool::close);
      throw e;
    }
    return new ExpertDirectory(pools);
  }

  void closeExperts(@Disposes ExpertDirectory experts) {
    if (seeds != null) {
      seeds.close();
    }
    experts.all().forEach(ExpertPool::close);
  }

  /** Polls the configured seeds into the router; null when there are none. */
  private static SeedProbe seedProbe(
      ServingConfig.Remote remote, List<ExpertPool> pools, Router router, WorkerChannels channels) {
    List<String> listed = remote.seeds().orElse(List.of());
    if (listed.isEmpty()) {
      return null;
    }
    Map<ExpertId, Long> fingerprints = new HashMap<>();
    for (ExpertPool p : pools) {
      if (p instanceof RemotePool r) {
        fingerprints.put(r.expert(), r.fingerprint().value());
      }
    }
    List<SeedProbe.Seed> seeds = new ArrayList<>();
    try {
      for (String s : listed) {
        SeedProbe.Seed seed = SeedProbe.Seed.parse(s);
        if (!fingerprints.containsKey(seed.replica().expert())) {
          throw new IllegalArgumentException(
              "seed "
                  + seed.replica()
                  + ": no expert with model files named "
                  + seed.replica().expert()
                  + " (remote experts: "
                  + fingerprints.keySet()
                  + ")");
        }
        seeds.add(seed);
      }
      LOG.infof("polling %d seed replica(s) every %s", seeds.size(), remote.seedInterval());
      return new SeedProbe(
          seeds,
          channels,
          expert -> fingerprints.getOrDefault(expert, 0L),
          router::onSignal,
          remote.seedInterval(),
          Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID, "mesh.serving.remote.seeds: " + e.getMessage(), e);
    }
  }

  private static ExpertPool embedded(
      RoutingConfig.Expert e,
      RoutingConfig.ModelSource.Embedded source,
      EmbeddedConfig config,
      SignalBus signals) {
    EmbeddedConfig.Engine c = config.engine();
    EngineOptions engine;
    SchedulerOptions scheduler;
    try {
      engine = new EngineOptions(c.threads(), e.kvBlockSize(), c.kvBlocks(), c.kvPrecision());
      scheduler = new SchedulerOptions(c.maxRunning(), c.maxPrefillTokensPerStep(), c.maxWaiting());
      if (config.replicas() < 1) {
        throw new IllegalArgumentException("replicas must be >= 1");
      }
    } catch (IllegalArgumentException x) {
      throw new MeshException(ErrorCode.CONFIG_INVALID, "mesh.embedded: " + x.getMessage(), x);
    }
    Model loaded = load(source);
    Map<ReplicaId, EmbeddedExpertBackend> replicas = new LinkedHashMap<>();
    try {
      for (int i = 0; i < config.replicas(); i++) {
        ReplicaId id = new ReplicaId(e.name(), ReplicaRole.COLOCATED, "embedded-" + i);
        replicas.put(
            id, new EmbeddedExpertBackend(e.name(), loaded, engine, scheduler, id, signals));
      }
    } catch (RuntimeException x) {
      replicas.values().forEach(EmbeddedExpertBackend::close);
      throw x;
    }
    LOG.infof(
        "expert %s: %s, %d replica(s) in process, %d thread(s) and %d KV blocks each",
        e.name(), loaded.name(), config.replicas(), c.threads(), c.kvBlocks());
    return new EmbeddedPool(e.name(), loaded.tokenizer(), loaded.chatFormat(), replicas);
  }

  private static ExpertPool remote(
      RoutingConfig.Expert e,
      RoutingConfig.ModelSource.Embedded source,
      Router router,
      WorkerChannels channels,
      ServingConfig.Remote remote) {
    Model loaded = load(source);
    LOG.infof(
        "expert %s: remote worker pool (%s, fingerprint %s), replicas from their announcements",
        e.name(), loaded.name(), loaded.fingerprint());
    return new RemotePool(
        e.name(),
        loaded,
        e.contextLength(),
        router,
        channels,
        remote.slotsPerReplica(),
        remote.maxAttempts());
  }

  private static Model load(RoutingConfig.ModelSource.Embedded source) {
    Path model =
        SyntheticModels.isSynthetic(source.model())
            ? SyntheticModels.materialize(source.model(), SyntheticModels.DEFAULT_CACHE)
            : resolve(source.model());
    Path tokenizer = source.tokenizer() == null ? null : resolve(source.tokenizer());
    return ModelLoader.load(model, tokenizer);
  }

  /** An upstream expert; its API key is read from the environment variable the config names. */
  static ExpertBackend upstream(
      RoutingConfig.Expert e,
      RoutingConfig.ModelSource.Upstream source,
      Function<String, String> environment,
      Supplier<Map<String, String>> traceHeaders) {
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
            defaults.idleTimeout()),
        traceHeaders);
  }

  /** Absolute paths as they are; names relative to the shared models folder. */
  private static Path resolve(String file) {
    Path p = Path.of(file);
    return p.isAbsolute() ? p : SharedModels.file(file);
  }
}
