package dev.coemesh.worker.server;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.kv.control.HandoffPolicy;
import dev.coemesh.pool.kv.KvPrecision;
import dev.coemesh.worker.auth.MeshCredential;
import io.smallrye.config.WithDefault;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The worker services' configuration keys, shared by both apps: each declares
 * {@code @ConfigMapping(prefix = "mesh.worker")} on an interface extending this one.
 */
public interface WorkerConfig {
  /** The expert this worker serves: its replica id in the mesh's signals. */
  @WithDefault("stories")
  String expert();

  /** This replica's name in its expert's pool; default {@code <role>-<grpc port>}. */
  Optional<String> instance();

  /** The host announced to routers, with the gRPC port, as this replica's endpoint. */
  @WithDefault("127.0.0.1")
  String advertiseHost();

  /** Model file: a path, or a file name in the shared models folder ({@code MESH_MODELS_DIR}). */
  @WithDefault(SharedModels.STORIES_260K_BIN)
  String model();

  /** llama2.c tokenizer file (path or shared name); {@code none} for a GGUF model. */
  @WithDefault(SharedModels.STORIES_260K_TOKENIZER)
  String tokenizer();

  /** Engine threads. */
  @WithDefault("1")
  int threads();

  /** KV blocks in the engine pool (16 positions each). */
  @WithDefault("1024")
  int kvBlocks();

  /** How the engine holds K and V: F16 (half the memory per block) or F32. */
  @WithDefault("F16")
  KvPrecision kvPrecision();

  /** Sequences decoded together per step. */
  @WithDefault("32")
  int maxRunning();

  /**
   * Prompt tokens computed per step beside the decoding sequences (chunked prefill): smaller keeps
   * the running sequences' time per output token low, larger gives long prompts their first token
   * sooner.
   */
  @WithDefault("512")
  int prefillChunk();

  /** The KV store: {@code redis://host:port}, or {@code memory} for one inside this process. */
  @WithDefault("redis://127.0.0.1:6379")
  String redisUrl();

  /**
   * CacheGen level of the KV that prefill writes: {@code auto} (default) chooses per request a
   * level 3, 2 or 1, or text (no KV: decode recomputes), from the measured store throughput and
   * prefill speed (kv-transfer {@code HandoffController}); 0 (lossless, decode bit-identical to
   * colocated) to 3 fixes the level and never chooses text.
   */
  @WithDefault(HandoffPolicy.AUTO)
  String codecLevel();

  /** Store throughput in MB/s that {@code auto} assumes until it has measured a write. */
  @WithDefault("1000")
  double assumedStoreMbPerS();

  /**
   * In {@code auto}, how long without a measured write before a request that would go as text ships
   * at level 1 instead, to measure the store again.
   */
  @WithDefault("30s")
  Duration storeProbeInterval();

  /** Tokens per stored KV chunk. */
  @WithDefault("64")
  int chunkTokens();

  /**
   * Tokens generated after each built-in prompt to calibrate the codec's tables at start-up; 0
   * ships tables inside every blob instead.
   */
  @WithDefault("64")
  int calibrationTokens();

  /** Lifetime of an unconsumed KV in the store. */
  @WithDefault("60s")
  Duration kvTtl();

  /** Timeout of one store command. */
  @WithDefault("500ms")
  Duration storeTimeout();

  /** How long decode waits for the whole KV before recomputing from the prompt. */
  @WithDefault("2s")
  Duration fetchTimeout();

  /**
   * File holding the mesh credential (a mounted Kubernetes Secret); absent: the environment
   * variable {@value MeshCredential#ENV}. With neither the service does not start.
   */
  Optional<Path> credentialFile();

  /** The credential every caller of this worker must present. */
  default MeshCredential credential() {
    return MeshCredential.load(credentialFile().orElse(null));
  }

  default WorkerSettings settings(WorkerRole role) {
    return new WorkerSettings(
        role,
        resolve(model()),
        "none".equals(tokenizer()) ? null : resolve(tokenizer()),
        threads(),
        kvBlocks(),
        kvPrecision(),
        maxRunning(),
        prefillChunk(),
        redisUrl(),
        new HandoffPolicy(
            HandoffPolicy.parseLevel(codecLevel()), assumedStoreMbPerS(), storeProbeInterval()),
        chunkTokens(),
        calibrationTokens(),
        kvTtl(),
        storeTimeout(),
        fetchTimeout(),
        WorkerSettings.defaultMaxWaiting());
  }

  private static Path resolve(String file) {
    Path path = Path.of(file);
    return path.isAbsolute() || Files.isRegularFile(path) ? path : SharedModels.file(file);
  }
}
