package dev.coemesh.pool.worker;

import dev.coemesh.core.kv.KvTensor;
import java.util.ArrayList;
import java.util.List;

/** Cuts a sequence's KV into token chunks for the store, and joins fetched chunks back. */
final class KvChunks {
  private KvChunks() {}

  static List<KvTensor> split(KvTensor kv, int chunkTokens) {
    List<KvTensor> chunks = new ArrayList<>();
    for (int t = 0; t < kv.tokens(); t += chunkTokens) {
      chunks.add(kv.slice(t, Math.min(kv.tokens(), t + chunkTokens)));
    }
    return chunks;
  }

  static KvTensor join(List<KvTensor> chunks, int layers, int kvDim) {
    int tokens = chunks.stream().mapToInt(KvTensor::tokens).sum();
    KvTensor out = KvTensor.zeros(layers, tokens, kvDim);
    int at = 0;
    for (KvTensor chunk : chunks) {
      if (chunk.layers() != layers || chunk.kvDim() != kvDim) {
        throw new IllegalArgumentException("chunk shape differs from the sequence's");
      }
      for (int l = 0; l < layers; l++) {
        for (int kv = 0; kv < 2; kv++) {
          System.arraycopy(
              chunk.data(),
              chunk.offset(l, kv, 0),
              out.data(),
              out.offset(l, kv, at),
              chunk.tokens() * kvDim);
        }
      }
      at += chunk.tokens();
    }
    return out;
  }
}
