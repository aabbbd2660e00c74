package dev.coemesh.bench.codec;

import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.kv.codec.ArithmeticCoder;
import dev.coemesh.kv.codec.ArithmeticDecoder;
import dev.coemesh.kv.codec.ArithmeticEncoder;
import dev.coemesh.kv.codec.CacheGenCodec;
import dev.coemesh.kv.codec.CodecLevel;

/**
 * Measurements the codec's design rests on, run by the codec benchmark on real KV: the reference
 * arithmetic coder against rANS on identical symbol streams, and CacheGen's token-delta ("anchor")
 * encoding against plain quantization.
 */
public final class CoderComparison {
  private CoderComparison() {}

  /** Total stream bytes and coding time of both coders (encode + decode, one thread). */
  public record CoderResult(
      long arithmeticBytes, long ransBytes, double arithmeticMs, double ransMs) {}

  public static CoderResult coders(KvTensor kv, CodecLevel level) {
    int layers = kv.layers();
    int tokens = kv.tokens();
    int c = kv.kvDim();
    int slots = 2 * layers;
    int maxBins = level.maxBins(layers);
    int lp = maxBins + 1;
    byte[] symbols = CacheGenCodec.quantizedSymbols(kv, level);
    int[] cdf = new int[slots * c * lp];
    for (int s = 0; s < slots * c; s++) {
      int slot = s / c;
      ArithmeticCoder.cdf(symbols, slot * tokens * c + s % c, c, tokens, maxBins, cdf, s * lp);
    }
    byte[] back = new byte[symbols.length];
    ArithmeticEncoder ac = new ArithmeticEncoder();
    RansCoder rans = new RansCoder();
    long acBytes = 0;
    long ransBytes = 0;
    long acNanos = 0;
    long ransNanos = 0;
    for (int sub = 0; sub * CacheGenCodec.MAX_SUBCHUNK_TOKENS < tokens; sub++) {
      int t0 = sub * CacheGenCodec.MAX_SUBCHUNK_TOKENS;
      int n = Math.min(CacheGenCodec.MAX_SUBCHUNK_TOKENS, tokens - t0);
      for (int s = 0; s < slots * c; s++) {
        int from = ((s / c) * tokens + t0) * c + s % c;
        long a = System.nanoTime();
        byte[] coded = ac.encode(symbols, from, c, n, cdf, s * lp, lp);
        ArithmeticDecoder.decode(coded, 0, coded.length, n, cdf, s * lp, lp, back, from, c);
        long b = System.nanoTime();
        byte[] rcoded = rans.encode(symbols, from, c, n, cdf, s * lp, lp);
        RansCoder.decode(rcoded, n, cdf, s * lp, lp, back, from, c);
        long e = System.nanoTime();
        acBytes += coded.length;
        ransBytes += rcoded.length;
        acNanos += b - a;
        ransNanos += e - b;
      }
    }
    for (int i = 0; i < symbols.length; i++) {
      if (back[i] != symbols[i]) {
        throw new IllegalStateException("rANS round trip failed at symbol " + i);
      }
    }
    return new CoderResult(acBytes, ransBytes, acNanos / 1e6, ransNanos / 1e6);
  }

  /**
   * Size and error of plain coding against token-delta coding with anchors every {@code group}
   * tokens.
   */
  public record AnchorResult(
      long plainBytes, long anchorBytes, double plainMse, double anchorMse) {}

  public static AnchorResult anchors(KvTensor kv, CodecLevel level, int group) {
    var codec = new CacheGenCodec();
    var fingerprint = new ModelFingerprint(0);
    byte[] plain = codec.encode(kv, level.id(), fingerprint);
    double plainMse = mse(kv, codec.decode(plain, fingerprint));
    // anchors (first token of each group) are coded as they are, the others as differences to their
    // group's anchor; the receiver adds the decoded anchor back (no drift beyond one step)
    KvTensor delta = KvTensor.zeros(kv.layers(), kv.tokens(), kv.kvDim());
    int c = kv.kvDim();
    for (int l = 0; l < kv.layers(); l++) {
      for (int kvi = 0; kvi < 2; kvi++) {
        for (int t = 0; t < kv.tokens(); t++) {
          int anchor = t - t % group;
          for (int ch = 0; ch < c; ch++) {
            float v = kv.data()[kv.offset(l, kvi, t) + ch];
            delta.data()[kv.offset(l, kvi, t) + ch] =
                t == anchor ? v : v - kv.data()[kv.offset(l, kvi, anchor) + ch];
          }
        }
      }
    }
    byte[] coded = codec.encode(delta, level.id(), fingerprint);
    KvTensor decoded = codec.decode(coded, fingerprint);
    KvTensor restored = KvTensor.zeros(kv.layers(), kv.tokens(), c);
    for (int l = 0; l < kv.layers(); l++) {
      for (int kvi = 0; kvi < 2; kvi++) {
        for (int t = 0; t < kv.tokens(); t++) {
          int anchor = t - t % group;
          for (int ch = 0; ch < c; ch++) {
            float d = decoded.data()[kv.offset(l, kvi, t) + ch];
            restored.data()[kv.offset(l, kvi, t) + ch] =
                t == anchor ? d : d + decoded.data()[kv.offset(l, kvi, anchor) + ch];
          }
        }
      }
    }
    return new AnchorResult(plain.length, coded.length, plainMse, mse(kv, restored));
  }

  private static double mse(KvTensor a, KvTensor b) {
    double sum = 0;
    for (int i = 0; i < a.data().length; i++) {
      double d = a.data()[i] - b.data()[i];
      sum += d * d;
    }
    return sum / Math.max(1, a.data().length);
  }
}
