package dev.coemesh.kv.codec;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.testkit.ByteMutations;
import dev.coemesh.testkit.FuzzRun;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the CacheGen decoder ({@link CacheGenCodec#decode}) and of shared codec tables
 * ({@link CodecTables#fromBytes}): valid blobs of several shapes and levels (inline tables,
 * calibrated tables by id, lossless, empty), mutated, with the checksum usually recomputed so that
 * the mutation reaches the parser. Every case must end within its bound in a decoded tensor or
 * {@code KV_CORRUPT} ({@link dev.coemesh.core.spi.KvCodec}'s contract), and a rejection must not
 * allocate more than the blob could describe ({@link FuzzRun}). {@code -Dmesh.fuzz.seed=N} replays
 * a run, {@code -Dmesh.fuzz.cases=N} sets its length.
 */
class KvCodecFuzzTest {
  private static final ModelFingerprint MODEL = new ModelFingerprint(0x5EED_F00DL);
  private static final Duration CASE_BOUND = Duration.ofSeconds(2);
  private static final int LAYERS_AT = 16; // u16
  private static final int KV_DIM_AT = 18; // u32
  private static final int TOKENS_AT = 22; // u32

  /** A valid blob and where its fields sit. {@code subChunksAt} is -1 at the lossless level. */
  private record Seed(String name, byte[] blob, int layers, int subChunksAt) {}

  private static final List<Seed> SEEDS = new ArrayList<>();
  private static final List<byte[]> TABLES = new ArrayList<>();
  private static CacheGenCodec codec;

  @BeforeAll
  static void encodeSeeds() {
    TableRegistry registry = new TableRegistry();
    CodecTables calibrated =
        CodecTables.calibrate(
            List.of(CacheGenCodecTest.sample(2, 64, 8, 21), CacheGenCodecTest.sample(2, 64, 8, 22)),
            CodecLevel.LEVEL_2);
    registry.register(MODEL, calibrated);
    codec = new CacheGenCodec(registry);
    CacheGenCodec inline = new CacheGenCodec();
    int[][] shapes = {{1, 5, 8}, {2, 300, 16}, {3, 40, 4}, {1, 257, 2}};
    for (int level = 1; level <= 3; level++) {
      for (int[] s : shapes) {
        KvTensor kv = CacheGenCodecTest.sample(s[0], s[1], s[2], 31L * level + s[1]);
        add("level " + level + " " + s[0] + "x" + s[1] + "x" + s[2], inline, kv, level, false);
      }
    }
    add("calibrated 2x40x8", codec, CacheGenCodecTest.sample(2, 40, 8, 23), 2, true);
    add("empty", inline, KvTensor.zeros(2, 0, 16), 2, false);
    add("all-zero tokens", inline, KvTensor.zeros(1, 10, 8), 1, false);
    add("lossless 1x5x8", inline, CacheGenCodecTest.sample(1, 5, 8, 24), 0, false);
    add("lossless 2x3x4", inline, CacheGenCodecTest.sample(2, 3, 4, 25), 0, false);
    codec.decode(SEEDS.getLast().blob, MODEL); // prepare the calibrated tables outside the cases
    for (CodecLevel level : List.of(CodecLevel.LEVEL_1, CodecLevel.LEVEL_3)) {
      TABLES.add(
          CodecTables.calibrate(List.of(CacheGenCodecTest.sample(2, 30, 4, 26)), level).toBytes());
    }
    TABLES.add(calibrated.toBytes());
  }

  private static void add(String name, CacheGenCodec by, KvTensor kv, int level, boolean byId) {
    byte[] blob = by.encode(kv, level, MODEL);
    int slots = 2 * kv.layers();
    long tables =
        byId
            ? 8
            : level == 0
                ? 0
                : CodecTables.bodyBytes(kv.layers(), kv.kvDim(), CodecLevel.of(level), 1);
    int subChunksAt = level == 0 ? -1 : (int) (CacheGenCodec.HEADER_BYTES + 1 + slots + tables);
    SEEDS.add(new Seed(name, blob, kv.layers(), subChunksAt));
  }

  @Test
  void mutatedBlobsDecodeOrAreRejectedAsCorrupt() {
    FuzzRun run =
        FuzzRun.start("KvCodecFuzzTest blobs", 5000, CASE_BOUND, KvCodecFuzzTest::corrupt);
    int pastEnvelope = 0;
    for (int i = 0; i < run.cases(); i++) {
      SplittableRandom r = run.random(i);
      Seed seed = SEEDS.get(r.nextInt(SEEDS.size()));
      StringBuilder what = new StringBuilder(seed.name);
      byte[] blob = mutate(seed, r, what);
      KvTensor kv = run.check(i, blob.length, what.toString(), () -> codec.decode(blob, MODEL));
      if (kv != null) {
        assertTrue(
            kv.elementCount() <= CacheGenCodec.MAX_ELEMENTS,
            run.at(i) + ": " + what + " decoded to " + kv.elementCount() + " values");
      } else if (!rejectedAtEnvelope(blob)) {
        pastEnvelope++;
      }
    }
    run.finish();
    int deep = pastEnvelope;
    assertTrue(
        deep * 2 >= run.rejected(),
        () -> "seed=" + run.seed() + ": only " + deep + " rejections got past the envelope checks");
  }

  @Test
  void mutatedSharedTablesParseOrAreRejectedAsCorrupt() {
    FuzzRun run =
        FuzzRun.start("KvCodecFuzzTest tables", 3000, CASE_BOUND, KvCodecFuzzTest::corrupt);
    for (int i = 0; i < run.cases(); i++) {
      SplittableRandom r = run.random(i);
      byte[] bytes = TABLES.get(r.nextInt(TABLES.size())).clone();
      StringBuilder what = new StringBuilder("table");
      int edits = 1 + r.nextInt(3);
      for (int e = 0; e < edits && bytes.length > 4; e++) {
        bytes = mutateBytes(bytes, 6, 14 + 64, r, what);
      }
      byte[] input = r.nextInt(10) != 0 && bytes.length >= 8 ? withCrc(bytes) : bytes;
      run.check(
          i,
          input.length,
          what.toString(),
          () -> new PreparedTables(CodecTables.fromBytes(input))); // accepted tables are usable
    }
    run.finish();
  }

  private static boolean corrupt(Throwable t) {
    return t instanceof MeshException e && e.code() == ErrorCode.KV_CORRUPT;
  }

  /** Rejections a blob meets before its body is parsed: size, magic, version, checksum. */
  private static boolean rejectedAtEnvelope(byte[] blob) {
    if (blob.length < CacheGenCodec.HEADER_BYTES + 4) {
      return true;
    }
    ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    CRC32C crc = new CRC32C();
    crc.update(blob, 0, blob.length - 4);
    return b.getInt(0) != CacheGenCodec.MAGIC
        || b.getShort(4) != CacheGenCodec.VERSION
        || b.getInt(blob.length - 4) != (int) crc.getValue();
  }

  /** One to three mutations, then (nine times in ten) the checksum recomputed. */
  private static byte[] mutate(Seed seed, SplittableRandom r, StringBuilder what) {
    byte[] blob = seed.blob.clone();
    switch (r.nextInt(20)) {
      case 0 -> {
        what.append(", all zero");
        return new byte[blob.length];
      }
      case 1 -> {
        byte[] random = ByteMutations.random(r, r.nextInt(600));
        if (random.length >= 6 && r.nextBoolean()) {
          System.arraycopy(blob, 0, random, 0, 6); // magic and version: reach the checksum
        }
        what.append(", random ").append(random.length).append(" bytes");
        return r.nextBoolean() && random.length >= 8 ? withCrc(random) : random;
      }
      case 2 -> {
        if (seed.subChunksAt > 0) {
          // a consistent shape claiming far more tokens than the blob holds streams for
          int tokens = r.nextInt(CacheGenCodec.MAX_SUBCHUNK_TOKENS + 1, 0xFFFF * 256);
          int subChunks = (tokens + CacheGenCodec.MAX_SUBCHUNK_TOKENS - 1) / 256;
          ByteMutations.put(blob, TOKENS_AT, 4, tokens);
          ByteMutations.put(blob, seed.subChunksAt, 2, subChunks);
          what.append(", tokens ")
              .append(tokens)
              .append(" in ")
              .append(subChunks)
              .append(" sub-chunks");
          return withCrc(blob);
        }
      }
      default -> {}
    }
    int hotEnd =
        seed.subChunksAt > 0 ? seed.subChunksAt + 4 + 2 * seed.layers : CacheGenCodec.HEADER_BYTES;
    int edits = 1 + r.nextInt(3);
    for (int e = 0; e < edits && blob.length > 6; e++) {
      if (r.nextInt(3) == 0) {
        blob = setField(seed, blob, r, what);
      } else {
        blob = mutateBytes(blob, r.nextInt(30) == 0 ? 0 : 6, hotEnd, r, what);
      }
    }
    return r.nextInt(10) != 0 && blob.length >= 8 ? withCrc(blob) : blob;
  }

  /** A header, table or framing field of the seed set to an extreme value. */
  private static byte[] setField(Seed seed, byte[] blob, SplittableRandom r, StringBuilder what) {
    record Field(String name, int at, int width) {}
    List<Field> fields = new ArrayList<>();
    fields.add(new Field("level", 6, 1));
    fields.add(new Field("flags", 7, 1));
    fields.add(new Field("layers", LAYERS_AT, 2));
    fields.add(new Field("kvDim", KV_DIM_AT, 4));
    fields.add(new Field("tokens", TOKENS_AT, 4));
    if (seed.subChunksAt > 0) {
      int body = CacheGenCodec.HEADER_BYTES;
      fields.add(new Field("maxBins", body, 1));
      fields.add(new Field("bins", body + 1 + r.nextInt(2 * seed.layers), 1));
      fields.add(
          new Field("table bytes", r.nextInt(body + 1 + 2 * seed.layers, seed.subChunksAt), 2));
      fields.add(new Field("subChunks", seed.subChunksAt, 2));
      fields.add(new Field("sub-chunk tokens", seed.subChunksAt + 2, 2));
      fields.add(new Field("stream length", seed.subChunksAt + 4 + r.nextInt(2 * seed.layers), 1));
    }
    Field f = fields.get(r.nextInt(fields.size()));
    if (f.at + f.width > blob.length) {
      return blob;
    }
    if (f.name.equals("stream length") && r.nextBoolean()) {
      // a varint of up to five bytes in place of a one-byte one (the blob grows)
      byte[] varint = new byte[1 + r.nextInt(5)];
      for (int i = 0; i < varint.length; i++) {
        varint[i] = (byte) (r.nextInt(256) | (i < varint.length - 1 ? 0x80 : 0));
      }
      what.append(", stream length varint ").append(java.util.HexFormat.of().formatHex(varint));
      return ByteMutations.splice(blob, f.at, f.at + 1, varint);
    }
    long value = ByteMutations.extreme(r, f.width, ByteMutations.get(blob, f.at, f.width));
    ByteMutations.put(blob, f.at, f.width, value);
    what.append(", ").append(f.name).append('@').append(f.at).append('=').append(value);
    return blob;
  }

  /** A flip, an overwrite, a cut, garbage appended, or a byte removed or inserted. */
  private static byte[] mutateBytes(
      byte[] bytes, int from, int hotEnd, SplittableRandom r, StringBuilder what) {
    return ByteMutations.edit(bytes, from, hotEnd, r, new ByteMutations.EditMix(3, 2, 64), what);
  }

  private static byte[] withCrc(byte[] blob) {
    byte[] out = blob.clone();
    CRC32C crc = new CRC32C();
    crc.update(out, 0, out.length - 4);
    ByteBuffer.wrap(out)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putInt(out.length - 4, (int) crc.getValue());
    return out;
  }
}
