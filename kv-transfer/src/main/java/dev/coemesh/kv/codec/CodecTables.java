package dev.coemesh.kv.codec;

import dev.coemesh.core.kv.KvTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What the coder needs besides the symbols: a mean per (layer, K|V, channel), subtracted before
 * quantizing so that the per-token scale covers the spread rather than the channel offsets (keys
 * carry large per-channel offsets), and a CDF per (layer, K|V, channel).
 *
 * <p>Either computed from the chunk itself and shipped inline, or calibrated once per model and
 * level from sample KV and referenced by {@link #id()}: small chunks of small models would
 * otherwise spend most of their bytes on tables.
 *
 * @param means [slot][channel], slot = layer*2 + (0 for K, 1 for V)
 * @param cdf [slot][channel][maxBins+1]
 */
public record CodecTables(int layers, int kvDim, CodecLevel level, float[] means, int[] cdf) {
  public CodecTables {
    int slots = 2 * layers;
    if (means.length != slots * kvDim
        || cdf.length != slots * kvDim * (level.maxBins(layers) + 1)) {
      throw new IllegalArgumentException("table sizes do not match the shape");
    }
  }

  public int maxBins() {
    return level.maxBins(layers);
  }

  /** A content hash: equal tables have equal ids in every process. */
  public long id() {
    ByteBuffer b =
        ByteBuffer.allocate(12 + means.length * 4 + cdf.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(layers).putInt(kvDim).putInt(level.id());
    for (float m : means) {
      b.putFloat(m);
    }
    for (int v : cdf) {
      b.putShort((short) v);
    }
    CRC32C low = new CRC32C();
    low.update(b.array());
    CRC32C high = new CRC32C();
    high.update(b.array(), 0, b.array().length / 2);
    return (high.getValue() << 32) | low.getValue();
  }

  /** Per-channel means of a tensor (or of many), over all their tokens. */
  static float[] means(List<KvTensor> samples, int layers, int kvDim) {
    double[] sum = new double[2 * layers * kvDim];
    long tokens = 0;
    for (KvTensor kv : samples) {
      for (int slot = 0; slot < 2 * layers; slot++) {
        for (int t = 0; t < kv.tokens(); t++) {
          int base = (slot * kv.tokens() + t) * kvDim;
          for (int c = 0; c < kvDim; c++) {
            sum[slot * kvDim + c] += kv.data()[base + c];
          }
        }
      }
      tokens += kv.tokens();
    }
    float[] means = new float[sum.length];
    for (int i = 0; i < sum.length; i++) {
      means[i] = tokens == 0 ? 0 : (float) (sum[i] / tokens);
    }
    return means;
  }

  /**
   * Calibrates tables for a model and level from sample KV (e.g. a few prompts run through the
   * model): means and symbol statistics over all samples.
   */
  public static CodecTables calibrate(List<KvTensor> samples, CodecLevel level) {
    KvTensor first = samples.getFirst();
    int layers = first.layers();
    int kvDim = first.kvDim();
    float[] means = means(samples, layers, kvDim);
    int slots = 2 * layers;
    int maxBins = level.maxBins(layers);
    int lp = maxBins + 1;
    long[] counts = new long[slots * kvDim * lp];
    for (KvTensor kv : samples) {
      byte[] symbols = new byte[kv.data().length];
      float[] scales = new float[slots * kv.tokens()];
      for (int slot = 0; slot < slots; slot++) {
        Quantizer.quantize(
            kv.data(),
            means,
            symbols,
            scales,
            slot,
            kv.tokens(),
            kvDim,
            level.bins(slot & 1, slot >> 1, layers));
      }
      for (int slot = 0; slot < slots; slot++) {
        for (int t = 0; t < kv.tokens(); t++) {
          for (int c = 0; c < kvDim; c++) {
            counts[(slot * kvDim + c) * lp + symbols[(slot * kv.tokens() + t) * kvDim + c] + 1]++;
          }
        }
      }
    }
    int[] cdf = new int[counts.length];
    for (int s = 0; s < slots * kvDim; s++) {
      long total = 0;
      for (int i = 0; i < lp; i++) {
        total += counts[s * lp + i];
      }
      long cumulative = 0;
      for (int i = 0; i < lp; i++) {
        cumulative += counts[s * lp + i];
        cdf[s * lp + i] =
            total == 0
                ? (int) ((0xFFFFL - maxBins) * i / maxBins) + i
                : (int) ((0xFFFFL - maxBins) * cumulative / total) + i;
      }
    }
    return new CodecTables(layers, kvDim, level, means, cdf);
  }
}
