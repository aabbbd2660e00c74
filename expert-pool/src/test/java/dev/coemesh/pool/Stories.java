package dev.coemesh.pool;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;

/** The real stories260K model from the shared models folder, and its reference values. */
public final class Stories {
  /** Greedy ids from BOS, from ../shared/models/README.md. */
  public static final int[] GREEDY_30 = {
    403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267,
    337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433
  };

  public static final String GREEDY_30_TEXT =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park";

  private Stories() {}

  public static Model bin() {
    return ModelLoader.load(
        SharedModels.file(SharedModels.STORIES_260K_BIN),
        SharedModels.file(SharedModels.STORIES_260K_TOKENIZER));
  }

  public static Model gguf() {
    return ModelLoader.load(SharedModels.file(SharedModels.STORIES_260K_GGUF), null);
  }

  public static LlamaEngine engine(int threads, int blocks) {
    return new LlamaEngine(
        bin(), EngineOptions.defaults().withThreads(threads).withKvBlocks(blocks));
  }

  public static int argmax(float[] logits) {
    return dev.coemesh.pool.sampler.Sampler.argmax(logits);
  }
}
