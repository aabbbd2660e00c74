package dev.coemesh.gateway.embedded;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Map;
import java.util.Optional;

/**
 * The experts served in this JVM ({@code mesh.embedded.*}), each by the embedded engine.
 *
 * <pre>
 * mesh.embedded.experts.stories260k.model=stories260K.bin   # relative to the models folder
 * mesh.embedded.experts.stories260k.tokenizer=tok512.bin
 * </pre>
 */
@ConfigMapping(prefix = "mesh.embedded")
public interface EmbeddedConfig {

  /** Experts by id (the {@code model} clients send). */
  Map<String, Expert> experts();

  /** Events the in-process signal bus buffers before dropping. */
  @WithDefault("4096")
  int signalBusCapacity();

  /** One expert's model files and engine limits. */
  interface Expert {
    /** Model file (llama2.c {@code .bin} or GGUF), absolute or relative to the models folder. */
    String model();

    /** llama2.c tokenizer file, required with a {@code .bin} model. */
    Optional<String> tokenizer();

    /** Engine worker threads; the tiny default model runs best on one. */
    @WithDefault("1")
    int threads();

    /** Positions per KV block. */
    @WithDefault("16")
    int blockSize();

    /** KV blocks in the pool. */
    @WithDefault("512")
    int kvBlocks();

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
