package dev.coemesh.pool.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.pool.Stories;
import dev.coemesh.pool.kv.KvPrecision;
import org.junit.jupiter.api.Test;

/**
 * {@link EngineConsistencyTest}'s checks with the KV cache held in half precision (the default):
 * prefill against single steps, batching, export and import, prefix reuse and block accounting stay
 * exact.
 */
class HalfKvEngineConsistencyTest extends EngineConsistencyTest {
  private static final int[] PROMPT = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};

  @Override
  KvPrecision precision() {
    return KvPrecision.F16;
  }

  @Test
  void anExportedHalfCacheImportsAndExportsAgainUnchanged() {
    KvTensor first;
    try (LlamaEngine source = engine(64)) {
      int s = source.newSequence();
      source.step(new int[] {s}, new int[][] {PROMPT});
      first = source.exportKv(s);
    }
    try (LlamaEngine target = engine(64)) {
      int s = target.newSequence();
      target.importKv(s, first, PROMPT);
      KvTensor second = target.exportKv(s);
      // every exported float is a half, so importing it rounds nothing
      assertArrayEquals(first.data(), second.data(), 0f);
      target.free(s);
      assertEquals(64, target.availableBlocks());
    }
  }

  @Test
  void halfTheKvBytesForTheSameBlocks() {
    try (LlamaEngine half = engine(64);
        LlamaEngine full =
            new LlamaEngine(
                Stories.bin(),
                EngineOptions.defaults().withKvBlocks(64).withKvPrecision(KvPrecision.F32))) {
      assertEquals(full.totalBlocks(), half.totalBlocks());
      assertEquals(full.kvBytes() / 2, half.kvBytes());
    }
  }
}
