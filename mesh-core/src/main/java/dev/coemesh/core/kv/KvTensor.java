package dev.coemesh.core.kv;

import java.util.Objects;

/**
 * One sequence's KV cache as a dense tensor, the exchange format between the engine (export /
 * import) and the KV codec. Layout: {@code [layer][K|V][token][kvDim]} with {@code kvDim = kvHeads
 * * headDim}, row-major in one float array.
 */
public record KvTensor(int layers, int tokens, int kvDim, float[] data) {
  public KvTensor {
    if (layers < 1 || tokens < 0 || kvDim < 1) {
      throw new IllegalArgumentException(
          "bad KV shape layers=" + layers + " tokens=" + tokens + " kvDim=" + kvDim);
    }
    Objects.requireNonNull(data, "data");
    long expected = 2L * layers * tokens * kvDim;
    if (data.length != expected) {
      throw new IllegalArgumentException(
          "KV data holds " + data.length + " floats, shape needs " + expected);
    }
  }

  public static KvTensor zeros(int layers, int tokens, int kvDim) {
    return new KvTensor(
        layers, tokens, kvDim, new float[Math.multiplyExact(2 * layers, tokens * kvDim)]);
  }

  /** Offset of element (layer, kOrV, token, 0); {@code kOrV} is 0 for K and 1 for V. */
  public int offset(int layer, int kOrV, int token) {
    return ((layer * 2 + kOrV) * tokens + token) * kvDim;
  }

  public long elementCount() {
    return data.length;
  }

  /** Tokens [from, to) of this tensor as a new tensor (used to cut a sequence into chunks). */
  public KvTensor slice(int from, int to) {
    Objects.checkFromToIndex(from, to, tokens);
    int n = to - from;
    float[] out = new float[2 * layers * n * kvDim];
    for (int l = 0; l < layers; l++) {
      for (int kv = 0; kv < 2; kv++) {
        System.arraycopy(data, offset(l, kv, from), out, ((l * 2 + kv) * n) * kvDim, n * kvDim);
      }
    }
    return new KvTensor(layers, n, kvDim, out);
  }
}
