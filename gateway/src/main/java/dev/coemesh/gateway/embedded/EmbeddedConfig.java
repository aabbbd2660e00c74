package dev.coemesh.gateway.embedded;

import dev.coemesh.pool.kv.KvPrecision;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Engine limits of the experts served in this JVM ({@code mesh.embedded.*}). Which experts exist
 * and their model files come from the routing config ({@code mesh.routing.config}); these limits
 * apply to each embedded one.
 *
 * <pre>
 * mesh.embedded.engine.kv-blocks=1024
 * mesh.embedded.engine.max-running=32
 * </pre>
 */
@ConfigMapping(prefix = "mesh.embedded")
public interface EmbeddedConfig {

  /** Replicas of each embedded expert in this JVM, each with its own engine and KV cache. */
  @WithDefault("1")
  int replicas();

  /** Each embedded expert's engine and batcher limits. */
  Engine engine();

  /** Engine and continuous-batcher limits of one embedded expert. */
  interface Engine {
    /** Engine worker threads; the tiny default model runs best on one. */
    @WithDefault("1")
    int threads();

    /** KV blocks in the pool (of the routing config's {@code kv_block_size} positions each). */
    @WithDefault("512")
    int kvBlocks();

    /** How K and V are held: {@code F16} (half the memory per block) or {@code F32}. */
    @WithDefault("F16")
    KvPrecision kvPrecision();

    /** Sequences decoded together per step. */
    @WithDefault("16")
    int maxRunning();

    /** Prompt tokens prefilled between two decode steps. */
    @WithDefault("512")
    int maxPrefillTokensPerStep();

    /** Sequences that may wait inside the engine for KV blocks or a batch slot. */
    @WithDefault("256")
    int maxWaiting();
  }
}
