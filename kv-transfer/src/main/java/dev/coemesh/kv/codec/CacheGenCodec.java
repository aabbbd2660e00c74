package dev.coemesh.kv.codec;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.core.spi.KvCodec;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The CacheGen KV codec: per-(layer, token) scales, layer-wise quantization bins, one CDF per
 * (layer of K or V, channel) shipped inline, and one arithmetic-coded stream per (layer of K or V,
 * channel, sub-chunk of at most 256 tokens); or, at level 0, the float32 bits unchanged.
 *
 * <p>Envelope (little-endian), version 2:
 *
 * <pre>
 * magic "CGKV" u32 | version u16 | level u8 | reserved u8 | model fingerprint u64
 * layers u16 | kvDim u32 | tokens u32
 * level 0:  values f32[2*layers*tokens*kvDim]          ([layer][K|V][token][channel])
 * level 1-3: maxBins u8 | bins u8[2*layers] | scales bf16[2*layers*tokens] (rounded up)
 *            flags bit 0 clear (inline tables): means f32[2*layers*kvDim] | cdf u16[2*layers*kvDim*(maxBins+1)]
 *            flags bit 0 set (calibrated tables): table id u64
 *            subChunks u16 | per sub-chunk: tokens u16 | lengths varint[2*layers*kvDim] | stream bytes
 * crc32c u32 over everything before it
 * </pre>
 *
 * The flags are the header's reserved byte. Stream lengths are unsigned LEB128 varints (version 1
 * had u32): streams of small models are a few dozen bytes, so four bytes of length each cost more
 * than the coder's termination. Values are quantized after subtracting a per-channel mean (see
 * {@link CodecTables}). Thread-safe (stateless apart from per-call buffers; the registry is
 * concurrent).
 */
public final class CacheGenCodec implements KvCodec {
  static final int FLAG_TABLE_BY_ID = 1;
  private final TableRegistry tables;

  /** A codec that ships its tables inline in every blob. */
  public CacheGenCodec() {
    this(new TableRegistry());
  }

  /** A codec that references a model's calibrated tables by id when the registry has them. */
  public CacheGenCodec(TableRegistry tables) {
    this.tables = tables;
  }

  static final int MAGIC = 0x564B4743; // "CGKV" little-endian
  static final short VERSION = 2;
  static final int MAX_SUBCHUNK_TOKENS = 256;
  private static final int HEADER_BYTES = 4 + 2 + 1 + 1 + 8 + 2 + 4 + 4;

  /** Decoder caps: a blob can never make the decoder allocate more than this many elements. */
  static final long MAX_ELEMENTS = 1L << 28;

  @Override
  public byte[] encode(KvTensor kv, int levelId, ModelFingerprint model) {
    CodecLevel level = CodecLevel.of(levelId);
    int layers = kv.layers();
    int tokens = kv.tokens();
    int c = kv.kvDim();
    if (layers > 0xFFFF || tokens > 0xFFFFFF) {
      throw new MeshException(
          ErrorCode.INVALID_REQUEST,
          "KV chunk too large to encode: " + layers + " layers, " + tokens + " tokens");
    }
    ByteBuffer out;
    if (level == CodecLevel.LOSSLESS) {
      out = allocate(HEADER_BYTES + 4L * kv.data().length + 4);
      header(out, level, model, layers, c, tokens);
      out.asFloatBuffer().put(kv.data());
      out.position(out.position() + 4 * kv.data().length);
    } else {
      out =
          quantized(
              kv,
              level,
              model,
              tables
                  .forModel(model, level)
                  .filter(t -> t.layers() == layers && t.kvDim() == c)
                  .orElse(null));
    }
    CRC32C crc = new CRC32C();
    crc.update(out.array(), 0, out.position());
    out.putInt((int) crc.getValue());
    return java.util.Arrays.copyOf(out.array(), out.position());
  }

  private static ByteBuffer quantized(
      KvTensor kv, CodecLevel level, ModelFingerprint model, CodecTables calibrated) {
    int layers = kv.layers();
    int tokens = kv.tokens();
    int c = kv.kvDim();
    int slots = 2 * layers;
    int maxBins = level.maxBins(layers);
    int lp = maxBins + 1;
    float[] data = kv.data();
    float[] means =
        calibrated != null
            ? calibrated.means()
            : CodecTables.means(java.util.List.of(kv), layers, c);
    byte[] symbols = new byte[data.length]; // [slot][token][channel], the KvTensor order
    float[] scales = new float[slots * tokens]; // [slot][token]
    int[] bins = new int[slots];
    for (int slot = 0; slot < slots; slot++) {
      bins[slot] = level.bins(slot & 1, slot >> 1, layers);
      Quantizer.quantize(data, means, symbols, scales, slot, tokens, c, bins[slot]);
    }
    int[] cdf;
    if (calibrated != null) {
      cdf = calibrated.cdf();
    } else {
      cdf = new int[slots * c * lp];
      int[] counts = new int[c * lp]; // [channel][symbol + 1], one slot at a time
      for (int slot = 0; slot < slots; slot++) {
        ArithmeticCoder.cdfs(
            symbols, slot * tokens * c, tokens, c, maxBins, counts, cdf, slot * c * lp);
      }
    }
    ArithmeticEncoder coder = new ArithmeticEncoder();
    int subChunks = (tokens + MAX_SUBCHUNK_TOKENS - 1) / MAX_SUBCHUNK_TOKENS;
    int[][] lengths = new int[subChunks][slots * c];
    byte[][] payloads = new byte[subChunks][]; // a sub-chunk's streams, back to back
    long payload = 0;
    for (int sub = 0; sub < subChunks; sub++) {
      int t0 = sub * MAX_SUBCHUNK_TOKENS;
      int n = Math.min(MAX_SUBCHUNK_TOKENS, tokens - t0);
      coder.reset();
      int[] sizes = lengths[sub];
      for (int slot = 0; slot < slots; slot++) {
        int from = (slot * tokens + t0) * c;
        for (int ch = 0; ch < c; ch++) {
          sizes[slot * c + ch] =
              coder.append(symbols, from + ch, c, n, cdf, (slot * c + ch) * lp, lp);
        }
      }
      for (int length : sizes) {
        payload += varintBytes(length);
      }
      payloads[sub] = java.util.Arrays.copyOf(coder.buffer(), coder.size());
      payload += coder.size();
    }
    long tableBytes = calibrated != null ? 8 : 4L * means.length + 2L * cdf.length;
    long size =
        HEADER_BYTES
            + 1
            + slots
            + 2L * scales.length
            + tableBytes
            + 2
            + subChunks * 2L
            + payload
            + 4;
    ByteBuffer out = allocate(size);
    header(out, level, model, layers, c, tokens);
    if (calibrated != null) {
      out.put(7, (byte) FLAG_TABLE_BY_ID);
    }
    out.put((byte) maxBins);
    for (int b : bins) {
      out.put((byte) b);
    }
    for (float s : scales) {
      out.putShort((short) (Float.floatToRawIntBits(s) >>> 16));
    }
    if (calibrated != null) {
      out.putLong(calibrated.id());
    } else {
      for (float m : means) {
        out.putFloat(m);
      }
      for (int v : cdf) {
        out.putShort((short) v);
      }
    }
    out.putShort((short) subChunks);
    for (int sub = 0; sub < subChunks; sub++) {
      out.putShort((short) Math.min(MAX_SUBCHUNK_TOKENS, tokens - sub * MAX_SUBCHUNK_TOKENS));
      for (int length : lengths[sub]) {
        putVarint(out, length);
      }
      out.put(payloads[sub]);
    }
    return out;
  }

  private static ByteBuffer allocate(long size) {
    if (size > Integer.MAX_VALUE - 16) {
      throw new MeshException(
          ErrorCode.INVALID_REQUEST, "encoded KV would exceed 2 GiB; use smaller chunks");
    }
    return ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void header(
      ByteBuffer out, CodecLevel level, ModelFingerprint model, int layers, int c, int tokens) {
    out.putInt(MAGIC).putShort(VERSION).put((byte) level.id()).put((byte) 0).putLong(model.value());
    out.putShort((short) layers).putInt(c).putInt(tokens);
  }

  @Override
  public KvTensor decode(byte[] blob, ModelFingerprint expectedModel) {
    if (blob == null || blob.length < HEADER_BYTES + 4) {
      throw corrupt(
          "blob of "
              + (blob == null ? 0 : blob.length)
              + " bytes is shorter than the envelope header");
    }
    ByteBuffer in = ByteBuffer.wrap(blob, 0, blob.length - 4).order(ByteOrder.LITTLE_ENDIAN);
    if (in.getInt() != MAGIC) {
      throw corrupt("not a CacheGen KV blob (bad magic)");
    }
    int version = in.getShort() & 0xFFFF;
    if (version != VERSION) {
      throw corrupt(
          "KV blob version "
              + version
              + " is not supported (this codec reads version "
              + VERSION
              + ")");
    }
    CRC32C crc = new CRC32C();
    crc.update(blob, 0, blob.length - 4);
    int stored = ByteBuffer.wrap(blob, blob.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if ((int) crc.getValue() != stored) {
      throw corrupt("KV blob checksum mismatch (corrupted or truncated)");
    }
    int levelId = in.get() & 0xFF;
    int flags = in.get() & 0xFF;
    long fingerprint = in.getLong();
    if (fingerprint != expectedModel.value()) {
      throw corrupt(
          "KV blob was made by model "
              + new ModelFingerprint(fingerprint)
              + ", not "
              + expectedModel);
    }
    int layers = in.getShort() & 0xFFFF;
    int c = in.getInt();
    int tokens = in.getInt();
    if (layers < 1 || c < 1 || tokens < 0 || (long) 2 * layers * tokens * c > MAX_ELEMENTS) {
      throw corrupt(
          "KV blob has an impossible shape: "
              + layers
              + " layers, "
              + c
              + " channels, "
              + tokens
              + " tokens");
    }
    CodecLevel level;
    try {
      level = CodecLevel.of(levelId);
    } catch (IllegalArgumentException e) {
      throw corrupt("KV blob has unknown level " + levelId);
    }
    try {
      return level == CodecLevel.LOSSLESS
          ? decodeLossless(in, layers, tokens, c)
          : decodeQuantized(blob, in, level, layers, tokens, c, flags);
    } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
      throw corrupt("KV blob is truncated or inconsistent: " + e);
    }
  }

  private static KvTensor decodeLossless(ByteBuffer in, int layers, int tokens, int c) {
    int n = 2 * layers * tokens * c;
    if (in.remaining() != 4L * n) {
      throw corrupt(
          "lossless KV blob holds " + in.remaining() + " value bytes, shape needs " + 4L * n);
    }
    float[] data = new float[n];
    in.asFloatBuffer().get(data);
    return new KvTensor(layers, tokens, c, data);
  }

  private KvTensor decodeQuantized(
      byte[] blob, ByteBuffer in, CodecLevel level, int layers, int tokens, int c, int flags) {
    int slots = 2 * layers;
    int maxBins = in.get() & 0xFF;
    if (maxBins != level.maxBins(layers)) {
      throw corrupt("KV blob alphabet " + maxBins + " does not match level " + level.id());
    }
    int lp = maxBins + 1;
    int[] bins = new int[slots];
    for (int slot = 0; slot < slots; slot++) {
      bins[slot] = in.get() & 0xFF;
      if (bins[slot] != level.bins(slot & 1, slot >> 1, layers)) {
        throw corrupt("KV blob bins do not match level " + level.id());
      }
    }
    boolean byId = (flags & FLAG_TABLE_BY_ID) != 0;
    long fixed = 2L * slots * tokens + (byId ? 8 : 4L * slots * c + 2L * slots * c * lp);
    if (in.remaining() < fixed) {
      throw corrupt("KV blob is too short for its scales and tables");
    }
    float[] scales = new float[slots * tokens];
    for (int i = 0; i < scales.length; i++) {
      scales[i] = Float.intBitsToFloat((in.getShort() & 0xFFFF) << 16);
    }
    float[] means;
    int[] cdf;
    if (byId) {
      long id = in.getLong();
      CodecTables t =
          tables
              .byId(id)
              .orElseThrow(
                  () ->
                      corrupt(
                          "KV blob uses codec table "
                              + Long.toHexString(id)
                              + ", which this node does not have"));
      if (t.layers() != layers || t.kvDim() != c || t.level() != level) {
        throw corrupt(
            "codec table " + Long.toHexString(id) + " does not match the blob's shape or level");
      }
      means = t.means();
      cdf = t.cdf();
    } else {
      means = new float[slots * c];
      for (int i = 0; i < means.length; i++) {
        means[i] = in.getFloat();
      }
      cdf = new int[slots * c * lp];
      for (int i = 0; i < cdf.length; i++) {
        cdf[i] = in.getShort() & 0xFFFF;
      }
      validateCdf(cdf, slots * c, lp);
    }
    int subChunks = in.getShort() & 0xFFFF;
    if (subChunks != (tokens + MAX_SUBCHUNK_TOKENS - 1) / MAX_SUBCHUNK_TOKENS) {
      throw corrupt("KV blob has " + subChunks + " sub-chunks for " + tokens + " tokens");
    }
    byte[] symbols = new byte[2 * layers * tokens * c];
    int streams = slots * c;
    byte[] guess = new byte[2 * ArithmeticDecoder.GUESS_BUCKETS]; // guesses of the pair in flight
    int[] lengths = new int[streams];
    for (int sub = 0; sub < subChunks; sub++) {
      int t0 = sub * MAX_SUBCHUNK_TOKENS;
      int n = in.getShort() & 0xFFFF;
      if (n != Math.min(MAX_SUBCHUNK_TOKENS, tokens - t0)) {
        throw corrupt("KV blob sub-chunk " + sub + " claims " + n + " tokens");
      }
      if (in.remaining() < streams) {
        throw corrupt("KV blob is too short for its stream lengths");
      }
      long total = 0;
      for (int s = 0; s < streams; s++) {
        lengths[s] = getVarint(in);
        total += lengths[s];
      }
      if (total > in.remaining()) {
        throw corrupt("KV blob streams exceed the blob");
      }
      int at = in.position();
      for (int slot = 0; slot < slots; slot++) {
        int ch = 0;
        for (; ch + 1 < c; ch += 2) { // two channels at a time (see ArithmeticDecoder.decodePair)
          int s = slot * c + ch;
          ArithmeticDecoder.guesses(cdf, s * lp, lp, guess, 0);
          ArithmeticDecoder.guesses(cdf, (s + 1) * lp, lp, guess, ArithmeticDecoder.GUESS_BUCKETS);
          ArithmeticDecoder.decodePair(
              blob,
              at,
              lengths[s],
              lengths[s + 1],
              n,
              cdf,
              s * lp,
              lp,
              symbols,
              (slot * tokens + t0) * c + ch,
              c,
              guess,
              0);
          at += lengths[s] + lengths[s + 1];
        }
        if (ch < c) {
          int s = slot * c + ch;
          ArithmeticDecoder.guesses(cdf, s * lp, lp, guess, 0);
          ArithmeticDecoder.decode(
              blob,
              at,
              lengths[s],
              n,
              cdf,
              s * lp,
              lp,
              symbols,
              (slot * tokens + t0) * c + ch,
              c,
              guess,
              0);
          at += lengths[s];
        }
      }
      in.position(at);
    }
    if (in.remaining() != 0) {
      throw corrupt("KV blob has " + in.remaining() + " trailing bytes");
    }
    float[] data = new float[symbols.length];
    for (int slot = 0; slot < slots; slot++) {
      Quantizer.dequantize(symbols, means, scales, data, slot, tokens, c, bins[slot]);
    }
    return new KvTensor(layers, tokens, c, data);
  }

  /** A CDF must rise strictly from 0 to 0xFFFF, or the coder could loop on a zero-width range. */
  private static void validateCdf(int[] cdf, int tables, int lp) {
    for (int t = 0; t < tables; t++) {
      int base = t * lp;
      if (cdf[base] != 0 || cdf[base + lp - 1] != 0xFFFF) {
        throw corrupt("KV blob has a malformed frequency table");
      }
      for (int i = 1; i < lp; i++) {
        if (cdf[base + i] <= cdf[base + i - 1]) {
          throw corrupt("KV blob has a non-increasing frequency table");
        }
      }
    }
  }

  static int varintBytes(int value) {
    return value < 1 << 7 ? 1 : value < 1 << 14 ? 2 : value < 1 << 21 ? 3 : value < 1 << 28 ? 4 : 5;
  }

  /** Unsigned LEB128: seven bits a byte, low bits first, the high bit set on all but the last. */
  static void putVarint(ByteBuffer out, int value) {
    while ((value & ~0x7F) != 0) {
      out.put((byte) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.put((byte) value);
  }

  /** Reads a varint of at most 5 bytes that fits in 31 bits, or throws {@code KV_CORRUPT}. */
  static int getVarint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      int b = in.get() & 0xFF;
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        if (value > Integer.MAX_VALUE) {
          break;
        }
        return (int) value;
      }
    }
    throw corrupt("KV blob has a malformed stream length");
  }

  private static MeshException corrupt(String message) {
    return new MeshException(ErrorCode.KV_CORRUPT, message);
  }
}
