package dev.coemesh.kv.codec;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.core.spi.KvCodec;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The CacheGen KV codec: per-(layer, token) scales, quantization bins per (layer, K|V) slot, CDFs
 * per (slot, channel) and per (slot) for the scales, and one arithmetic-coded stream per (slot,
 * sub-chunk of at most 256 tokens) ({@link SlotStreams}); or, at level 0, the float32 bits
 * unchanged.
 *
 * <p>Envelope (little-endian), version 3:
 *
 * <pre>
 * magic "CGKV" u32 | version u16 | level u8 | flags u8 | model fingerprint u64
 * layers u16 | kvDim u32 | tokens u32
 * level 0:  values f32[2*layers*tokens*kvDim]          ([layer][K|V][token][channel])
 * level 1-3: maxBins u8 | bins u8[2*layers]
 *            flags bit 0 set (calibrated tables): table id u64
 *            flags bit 0 clear (inline tables, one context): means f32[2*layers*kvDim]
 *              | scale bases i16[2*layers] | scale cdf u16[2*layers*65] | cdf u16[2*layers*kvDim*(maxBins+1)]
 *            subChunks u16 | per sub-chunk: tokens u16 | lengths varint[2*layers] | stream bytes
 * crc32c u32 over everything before it
 * </pre>
 *
 * Version 2 shipped bf16 scales and one stream per (slot, channel); version 1 had u32 stream
 * lengths. Values are quantized after subtracting a per-channel mean (see {@link CodecTables}).
 * Thread-safe (stateless apart from per-call buffers and a cache of prepared calibrated tables).
 */
public final class CacheGenCodec implements KvCodec {
  static final int FLAG_TABLE_BY_ID = 1;
  private final TableRegistry tables;
  private final Map<Long, PreparedTables> prepared = new ConcurrentHashMap<>();

  /** A codec that ships its tables inline in every blob. */
  public CacheGenCodec() {
    this(new TableRegistry());
  }

  /** A codec that references a model's calibrated tables by id when the registry has them. */
  public CacheGenCodec(TableRegistry tables) {
    this.tables = tables;
  }

  static final int MAGIC = 0x564B4743; // "CGKV" little-endian
  static final short VERSION = 3;

  /** The most tokens one entropy-coded stream holds; longer tensors are cut into sub-chunks. */
  public static final int MAX_SUBCHUNK_TOKENS = 256;

  static final int HEADER_BYTES = 4 + 2 + 1 + 1 + 8 + 2 + 4 + 4;

  /** Decoder caps: a blob can never make the decoder allocate more than this many elements. */
  static final long MAX_ELEMENTS = 1L << 28;

  /**
   * The symbols {@code [slot][token][channel]} that {@code level} quantizes {@code kv} to, against
   * its own per-channel means: the streams the envelope entropy-codes, for measuring other coders
   * on them (the benchmarks' rANS comparison).
   */
  public static byte[] quantizedSymbols(KvTensor kv, CodecLevel level) {
    float[] means = CodecTables.means(List.of(kv), kv.layers(), kv.kvDim());
    return Quantizer.quantize(kv, means, level).symbols();
  }

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

  private ByteBuffer quantized(
      KvTensor kv, CodecLevel level, ModelFingerprint model, CodecTables calibrated) {
    int layers = kv.layers();
    int tokens = kv.tokens();
    int c = kv.kvDim();
    int slots = 2 * layers;
    float[] means =
        calibrated != null ? calibrated.means() : CodecTables.means(List.of(kv), layers, c);
    Quantizer.Quantized q = Quantizer.quantize(kv, means, level);
    PreparedTables p =
        calibrated != null
            ? prepare(calibrated)
            : new PreparedTables(CodecTables.of(List.of(q), means, level, 1));
    CodecTables t = p.tables;
    ArithmeticEncoder coder = new ArithmeticEncoder();
    int subChunks = (tokens + MAX_SUBCHUNK_TOKENS - 1) / MAX_SUBCHUNK_TOKENS;
    int[][] lengths = new int[subChunks][slots];
    SlotStreams.Scratch scratch = new SlotStreams.Scratch(Math.min(tokens, MAX_SUBCHUNK_TOKENS), c);
    long payload = 0;
    for (int sub = 0; sub < subChunks; sub++) {
      int t0 = sub * MAX_SUBCHUNK_TOKENS;
      int n = Math.min(MAX_SUBCHUNK_TOKENS, tokens - t0);
      for (int slot = 0; slot < slots; slot++) {
        lengths[sub][slot] = SlotStreams.encode(coder, q, p, slot, t0, n, scratch);
        payload += varintBytes(lengths[sub][slot]);
      }
    }
    payload += coder.size();
    long tableBytes = calibrated != null ? 8 : CodecTables.bodyBytes(layers, c, level, 1);
    long size = HEADER_BYTES + 1 + slots + tableBytes + 2 + subChunks * 2L + payload + 4;
    ByteBuffer out = allocate(size);
    header(out, level, model, layers, c, tokens);
    if (calibrated != null) {
      out.put(7, (byte) FLAG_TABLE_BY_ID);
    }
    out.put((byte) t.maxBins());
    for (int slot = 0; slot < slots; slot++) {
      out.put((byte) level.bins(slot & 1, slot >> 1, layers));
    }
    if (calibrated != null) {
      out.putLong(calibrated.id());
    } else {
      t.writeBody(out);
    }
    out.putShort((short) subChunks);
    int at = 0;
    for (int sub = 0; sub < subChunks; sub++) {
      out.putShort((short) Math.min(MAX_SUBCHUNK_TOKENS, tokens - sub * MAX_SUBCHUNK_TOKENS));
      int bytes = 0;
      for (int length : lengths[sub]) {
        putVarint(out, length);
        bytes += length;
      }
      out.put(coder.buffer(), at, bytes);
      at += bytes;
    }
    return out;
  }

  private PreparedTables prepare(CodecTables calibrated) {
    return prepared.computeIfAbsent(calibrated.id(), id -> new PreparedTables(calibrated));
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

  /**
   * The id of the calibrated table a blob references, if it is an intact quantized blob that
   * references one (a blob that fails its checksum has none here; decoding it says why).
   */
  public static OptionalLong tableId(byte[] blob) {
    if (blob == null || blob.length < HEADER_BYTES + 4) {
      return OptionalLong.empty();
    }
    ByteBuffer in = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    int layers = in.getShort(HEADER_BYTES - 10) & 0xFFFF;
    int at = HEADER_BYTES + 1 + 2 * layers; // after maxBins and the bins
    if (in.getInt(0) != MAGIC
        || in.getShort(4) != VERSION
        || in.get(6) == 0
        || (in.get(7) & FLAG_TABLE_BY_ID) == 0
        || blob.length < at + 8 + 4) {
      return OptionalLong.empty();
    }
    CRC32C crc = new CRC32C();
    crc.update(blob, 0, blob.length - 4);
    return (int) crc.getValue() == in.getInt(blob.length - 4)
        ? OptionalLong.of(in.getLong(at))
        : OptionalLong.empty();
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
          : decodeQuantized(in, blob, level, layers, tokens, c, flags);
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
      ByteBuffer in, byte[] blob, CodecLevel level, int layers, int tokens, int c, int flags) {
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
    PreparedTables p;
    if ((flags & FLAG_TABLE_BY_ID) != 0) {
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
      p = prepare(t);
    } else {
      if (in.remaining() < CodecTables.bodyBytes(layers, c, level, 1)) {
        throw corrupt("KV blob is too short for its tables");
      }
      p = new PreparedTables(CodecTables.readBody(in, layers, c, level, 1));
    }
    int subChunks = in.getShort() & 0xFFFF;
    if (subChunks != (tokens + MAX_SUBCHUNK_TOKENS - 1) / MAX_SUBCHUNK_TOKENS) {
      throw corrupt("KV blob has " + subChunks + " sub-chunks for " + tokens + " tokens");
    }
    // The framing (each sub-chunk's token count and stream lengths) is checked against the blob
    // before the tensor it describes is allocated: a few bytes could otherwise claim 2^28 values.
    if ((long) subChunks * (2 + slots) > in.remaining()) {
      throw corrupt("KV blob is too short for the framing of " + subChunks + " sub-chunks");
    }
    int[] lengths = new int[subChunks * slots]; // [sub][slot]
    int[] starts = new int[subChunks];
    for (int sub = 0; sub < subChunks; sub++) {
      int n = in.getShort() & 0xFFFF;
      if (n != Math.min(MAX_SUBCHUNK_TOKENS, tokens - sub * MAX_SUBCHUNK_TOKENS)) {
        throw corrupt("KV blob sub-chunk " + sub + " claims " + n + " tokens");
      }
      long total = 0;
      for (int s = 0; s < slots; s++) {
        lengths[sub * slots + s] = getVarint(in);
        total += lengths[sub * slots + s];
      }
      if (total > in.remaining()) {
        throw corrupt("KV blob streams of sub-chunk " + sub + " exceed the blob");
      }
      starts[sub] = in.position();
      in.position(in.position() + (int) total);
    }
    if (in.remaining() != 0) {
      throw corrupt("KV blob has " + in.remaining() + " trailing bytes");
    }
    float[] data = new float[slots * tokens * c];
    for (int sub = 0; sub < subChunks; sub++) {
      int t0 = sub * MAX_SUBCHUNK_TOKENS;
      int n = Math.min(MAX_SUBCHUNK_TOKENS, tokens - t0);
      int at = starts[sub];
      for (int layer = 0; layer < layers; layer++) {
        int k = lengths[sub * slots + 2 * layer];
        int v = lengths[sub * slots + 2 * layer + 1];
        SlotStreams.decodeLayer(blob, at, k, v, p, layer, t0, n, tokens, bins, data);
        at += k + v;
      }
    }
    return new KvTensor(layers, tokens, c, data);
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
