package dev.coemesh.pool.worker;

import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.kv.codec.CodecLevel;
import dev.coemesh.kv.codec.CodecTables;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.sampler.Sampler;
import java.util.ArrayList;
import java.util.List;

/**
 * Calibrated KV codec tables for a model: a few built-in prompts run greedily through a private
 * engine (one thread, its own small block pool), and their KV through {@link CodecTables#calibrate}
 * at every quantized level. The tables only need KV typical of the model, not of any request, so
 * nothing of a tenant's goes into them.
 */
public final class CodecCalibration {
  /** Short plain prompts (the codec benchmark evaluates on others). */
  public static final List<String> PROMPTS =
      List.of(
          "The dog ran after the ball",
          "Emma had a pink dress",
          "A big truck came down the road",
          "The kids played hide and seek",
          "Once there was a happy sheep",
          "Ben wanted a cookie",
          "The moon was round and white",
          "Kitty liked to nap in the sun");

  private CodecCalibration() {}

  /** Tables for levels 1 to 3 from {@link #PROMPTS}, each followed by {@code generate} tokens. */
  public static List<CodecTables> calibrate(Model model, int generate) {
    List<KvTensor> samples = samples(model, PROMPTS, generate);
    List<CodecTables> tables = new ArrayList<>();
    for (CodecLevel level : CodecLevel.values()) {
      if (level != CodecLevel.LOSSLESS) {
        tables.add(CodecTables.calibrate(samples, level));
      }
    }
    return tables;
  }

  /** The KV of each prompt (with BOS) and up to {@code generate} greedy tokens after it. */
  public static List<KvTensor> samples(Model model, List<String> prompts, int generate) {
    List<KvTensor> out = new ArrayList<>();
    try (LlamaEngine engine =
        new LlamaEngine(
            model,
            EngineOptions.defaults()
                .withThreads(1)
                .withKvBlocks(model.config().contextLength() / 16 + 2))) {
      for (String prompt : prompts) {
        int[] tokens = engine.tokenize(prompt, true);
        int n = Math.max(0, Math.min(generate, engine.contextLength() - tokens.length - 1));
        int seq = engine.newSequence();
        float[] logits = engine.step(new int[] {seq}, new int[][] {tokens})[0];
        for (int i = 0; i < n; i++) {
          logits = engine.step(new int[] {seq}, new int[][] {{Sampler.argmax(logits)}})[0];
        }
        out.add(engine.exportKv(seq));
        engine.free(seq);
      }
    }
    return out;
  }
}
