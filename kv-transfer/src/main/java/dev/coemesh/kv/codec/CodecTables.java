package dev.coemesh.kv.codec;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What the coder needs besides the symbols: a mean per (slot, channel), subtracted before
 * quantizing so that the per-token scale covers the spread rather than the channel offsets (keys
 * carry large per-channel offsets); per slot, the usual scale code ({@code scaleBases}) and a CDF
 * of the scale symbols around it; and per (slot, channel, context) a CDF of the value symbols.
 *
 * <p>The context of a value symbol is where the same channel's symbol of the previous token fell:
 * below, at or above the centre ({@link #context}). A channel that sits above its mean tends to
 * stay there for a while, which these conditional tables turn into ~0.1 bit per value. Calibrated
 * tables carry {@link #CALIBRATED_CONTEXTS}; tables computed from a chunk itself and shipped inline
 * carry one (three times the table bytes would cost more than they save on one chunk).
 *
 * <p>Either computed from the chunk itself and shipped inline, or calibrated once per model and
 * level from sample KV and referenced by {@link #id()}: small chunks of small models would
 * otherwise spend most of their bytes on tables.
 *
 * @param means [slot][channel], slot = layer*2 + (0 for K, 1 for V)
 * @param scaleBases [slot]: the median scale code of the slot
 * @param scaleCdf [slot][SCALE_SYMBOLS+1], reference-format CDFs of the scale symbols
 * @param cdf [slot][channel][context][maxBins+1], reference-format CDFs of the value symbols
 */
public record CodecTables(
    int layers,
    int kvDim,
    CodecLevel level,
    int contexts,
    float[] means,
    int[] scaleBases,
    int[] scaleCdf,
    int[] cdf) {

  /** Contexts of calibrated tables: previous symbol below, at, or above the centre. */
  public static final int CALIBRATED_CONTEXTS = 3;

  /**
   * Scale symbols: 0 is a zero scale, 1..62 a code within [-31, 30] of the slot's base, 63 an
   * escape followed by the code in two raw bytes.
   */
  static final int SCALE_SYMBOLS = 64;

  static final int SCALE_ESCAPE = SCALE_SYMBOLS - 1;
  private static final int SCALE_OFFSET = 32;

  public CodecTables {
    int slots = 2 * layers;
    if (contexts != 1 && contexts != CALIBRATED_CONTEXTS) {
      throw new IllegalArgumentException("tables have 1 or 3 contexts, not " + contexts);
    }
    if (means.length != slots * kvDim
        || scaleBases.length != slots
        || scaleCdf.length != slots * (SCALE_SYMBOLS + 1)
        || cdf.length != slots * kvDim * contexts * (level.maxBins(layers) + 1)) {
      throw new IllegalArgumentException("table sizes do not match the shape");
    }
  }

  public int maxBins() {
    return level.maxBins(layers);
  }

  /** A content hash: equal tables have equal ids in every process. */
  public long id() {
    ByteBuffer b =
        ByteBuffer.allocate(
                16
                    + means.length * 4
                    + scaleBases.length * 4
                    + scaleCdf.length * 2
                    + cdf.length * 2)
            .order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(layers).putInt(kvDim).putInt(level.id()).putInt(contexts);
    for (float m : means) {
      b.putFloat(m);
    }
    for (int base : scaleBases) {
      b.putInt(base);
    }
    for (int v : scaleCdf) {
      b.putShort((short) v);
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

  private static final int TABLE_MAGIC = 0x544B4743; // "CGKT" little-endian
  private static final short TABLE_VERSION = 1;
  private static final int TABLE_HEADER = 4 + 2 + 1 + 1 + 2 + 4;

  /**
   * The tables as bytes, to share through a KV store: magic "CGKT" u32 | version u16 | level u8 |
   * contexts u8 | layers u16 | kvDim u32 | means f32[] | scale bases i16[] | scale cdf u16[] | cdf
   * u16[] | crc32c u32, little-endian.
   */
  public byte[] toBytes() {
    ByteBuffer b =
        ByteBuffer.allocate((int) (TABLE_HEADER + bodyBytes(layers, kvDim, level, contexts) + 4))
            .order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(TABLE_MAGIC).putShort(TABLE_VERSION).put((byte) level.id()).put((byte) contexts);
    b.putShort((short) layers).putInt(kvDim);
    writeBody(b);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    return b.putInt((int) crc.getValue()).array();
  }

  /** Tables from {@link #toBytes()}; anything malformed is rejected as {@code KV_CORRUPT}. */
  public static CodecTables fromBytes(byte[] bytes) {
    if (bytes.length < TABLE_HEADER + 4) {
      throw corrupt("codec table of " + bytes.length + " bytes is too short");
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt(bytes.length - 4) != (int) crc.getValue()) {
      throw corrupt("codec table checksum mismatch");
    }
    if (b.getInt() != TABLE_MAGIC || b.getShort() != TABLE_VERSION) {
      throw corrupt("not a version-" + TABLE_VERSION + " codec table");
    }
    CodecLevel level;
    try {
      level = CodecLevel.of(b.get());
    } catch (IllegalArgumentException e) {
      throw corrupt("codec table of an unknown level");
    }
    int contexts = b.get();
    int layers = b.getShort() & 0xFFFF;
    int kvDim = b.getInt();
    int slots = 2 * layers;
    if (level == CodecLevel.LOSSLESS
        || (contexts != 1 && contexts != CALIBRATED_CONTEXTS)
        || layers < 1
        || kvDim < 1
        || kvDim > CacheGenCodec.MAX_ELEMENTS / slots) {
      throw corrupt("codec table has an impossible shape or level");
    }
    long expected = TABLE_HEADER + bodyBytes(layers, kvDim, level, contexts) + 4;
    if (bytes.length != expected) {
      throw corrupt("codec table holds " + bytes.length + " bytes, its shape needs " + expected);
    }
    return readBody(b, layers, kvDim, level, contexts);
  }

  /** Bytes of the body of tables of this shape: means, scale bases, scale CDFs, value CDFs. */
  public static long bodyBytes(int layers, int kvDim, CodecLevel level, int contexts) {
    long slots = 2L * layers;
    return 4 * slots * kvDim
        + 2 * slots
        + 2 * slots * (SCALE_SYMBOLS + 1)
        + 2 * slots * kvDim * contexts * (level.maxBins(layers) + 1);
  }

  /** Writes the body (see {@link #bodyBytes}), as in {@link #toBytes} and inline in a KV blob. */
  void writeBody(ByteBuffer b) {
    for (float m : means) {
      b.putFloat(m);
    }
    for (int base : scaleBases) {
      b.putShort((short) base); // medians of codes in [MIN_CODE, MAX_CODE]
    }
    for (int v : scaleCdf) {
      b.putShort((short) v);
    }
    for (int v : cdf) {
      b.putShort((short) v);
    }
  }

  /** Reads and validates a body written by {@link #writeBody}; the caller checked its length. */
  static CodecTables readBody(ByteBuffer b, int layers, int kvDim, CodecLevel level, int contexts) {
    int slots = 2 * layers;
    int lp = level.maxBins(layers) + 1;
    float[] means = new float[slots * kvDim];
    for (int i = 0; i < means.length; i++) {
      means[i] = b.getFloat();
    }
    int[] bases = new int[slots];
    for (int i = 0; i < slots; i++) {
      bases[i] = b.getShort();
    }
    int[] scaleCdf = new int[slots * (SCALE_SYMBOLS + 1)];
    for (int i = 0; i < scaleCdf.length; i++) {
      scaleCdf[i] = b.getShort() & 0xFFFF;
    }
    int[] cdf = new int[slots * kvDim * contexts * lp];
    for (int i = 0; i < cdf.length; i++) {
      cdf[i] = b.getShort() & 0xFFFF;
    }
    validateCdf(scaleCdf, slots, SCALE_SYMBOLS + 1);
    validateCdf(cdf, slots * kvDim * contexts, lp);
    return new CodecTables(layers, kvDim, level, contexts, means, bases, scaleCdf, cdf);
  }

  /** A CDF must rise strictly from 0 to 0xFFFF, or the coder could loop on a zero-width range. */
  static void validateCdf(int[] cdf, int tables, int lp) {
    for (int t = 0; t < tables; t++) {
      int base = t * lp;
      if (cdf[base] != 0 || cdf[base + lp - 1] != 0xFFFF) {
        throw corrupt("KV codec table is malformed");
      }
      for (int i = 1; i < lp; i++) {
        if (cdf[base + i] <= cdf[base + i - 1]) {
          throw corrupt("KV codec table does not increase");
        }
      }
    }
  }

  private static MeshException corrupt(String message) {
    return new MeshException(ErrorCode.KV_CORRUPT, message);
  }

  /** The value-symbol context from the same channel's symbol of the previous token. */
  static int context(int previous, int max) {
    return previous < max ? 0 : previous == max ? 1 : 2;
  }

  /** The scale symbol of {@code code} in a slot whose base is {@code base}. */
  static int scaleSymbol(int code, int base) {
    if (code == Quantizer.ZERO_SCALE) {
      return 0;
    }
    long delta = (long) code - base;
    return delta >= 1 - SCALE_OFFSET && delta <= SCALE_ESCAPE - 1 - SCALE_OFFSET
        ? (int) delta + SCALE_OFFSET
        : SCALE_ESCAPE;
  }

  /** The code of a scale symbol other than the escape. */
  static int scaleCodeOf(int symbol, int base) {
    return symbol == 0 ? Quantizer.ZERO_SCALE : base + symbol - SCALE_OFFSET;
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
   * model): means, scale bases and symbol statistics over all samples, with {@link
   * #CALIBRATED_CONTEXTS} contexts.
   */
  public static CodecTables calibrate(List<KvTensor> samples, CodecLevel level) {
    KvTensor first = samples.getFirst();
    float[] means = means(samples, first.layers(), first.kvDim());
    List<Quantizer.Quantized> quantized = new ArrayList<>();
    for (KvTensor kv : samples) {
      quantized.add(Quantizer.quantize(kv, means, level));
    }
    return of(quantized, means, level, CALIBRATED_CONTEXTS);
  }

  /** Tables of quantized tensors: the scale bases are medians, the CDFs by the reference rule. */
  static CodecTables of(
      List<Quantizer.Quantized> samples, float[] means, CodecLevel level, int contexts) {
    Quantizer.Quantized first = samples.getFirst();
    int layers = first.layers();
    int c = first.kvDim();
    int slots = 2 * layers;
    int maxBins = level.maxBins(layers);
    int lp = maxBins + 1;
    int[] bases = new int[slots];
    for (int slot = 0; slot < slots; slot++) {
      bases[slot] = medianCode(samples, slot);
    }
    long[] scaleCounts = new long[slots * SCALE_SYMBOLS];
    long[] counts = new long[slots * c * contexts * maxBins];
    for (Quantizer.Quantized q : samples) {
      for (int slot = 0; slot < slots; slot++) {
        int max = level.bins(slot & 1, slot >> 1, layers) / 2 - 1;
        for (int t = 0; t < q.tokens(); t++) {
          int code = q.codes()[slot * q.tokens() + t];
          scaleCounts[slot * SCALE_SYMBOLS + scaleSymbol(code, bases[slot])]++;
          if (code == Quantizer.ZERO_SCALE) {
            continue; // its channels are not coded
          }
          int at = (slot * q.tokens() + t) * c;
          boolean fresh = t % CacheGenCodec.MAX_SUBCHUNK_TOKENS == 0; // a stream starts
          for (int ch = 0; ch < c; ch++) {
            int ctx =
                contexts == 1 || fresh ? contexts / 2 : context(q.symbols()[at - c + ch], max);
            counts[((slot * c + ch) * contexts + ctx) * maxBins + q.symbols()[at + ch]]++;
          }
        }
      }
    }
    int[] scaleCdf = new int[slots * (SCALE_SYMBOLS + 1)];
    for (int slot = 0; slot < slots; slot++) {
      ArithmeticCoder.cdfFromCounts(
          scaleCounts, slot * SCALE_SYMBOLS, SCALE_SYMBOLS, scaleCdf, slot * (SCALE_SYMBOLS + 1));
    }
    int[] cdf = new int[slots * c * contexts * lp];
    for (int table = 0; table < slots * c * contexts; table++) {
      ArithmeticCoder.cdfFromCounts(counts, table * maxBins, maxBins, cdf, table * lp);
    }
    return new CodecTables(layers, c, level, contexts, means, bases, scaleCdf, cdf);
  }

  private static int medianCode(List<Quantizer.Quantized> samples, int slot) {
    int n = 0;
    for (Quantizer.Quantized q : samples) {
      n += q.tokens();
    }
    int[] codes = new int[n];
    int nonZero = 0;
    for (Quantizer.Quantized q : samples) {
      for (int t = 0; t < q.tokens(); t++) {
        int code = q.codes()[slot * q.tokens() + t];
        if (code != Quantizer.ZERO_SCALE) {
          codes[nonZero++] = code;
        }
      }
    }
    if (nonZero == 0) {
      return 0;
    }
    Arrays.sort(codes, 0, nonZero);
    return codes[nonZero / 2];
  }
}
