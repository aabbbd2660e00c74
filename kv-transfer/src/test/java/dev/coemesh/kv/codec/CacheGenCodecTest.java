package dev.coemesh.kv.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class CacheGenCodecTest {
  private static final ModelFingerprint MODEL = new ModelFingerprint(0x1234_5678_9ABCL);
  private final CacheGenCodec codec = new CacheGenCodec();

  /** KV-like data: per-channel offsets and scales, heavier tails in some channels, a zero token. */
  static KvTensor sample(int layers, int tokens, int c, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    KvTensor kv = KvTensor.zeros(layers, tokens, c);
    float[] d = kv.data();
    for (int l = 0; l < layers; l++) {
      for (int kvi = 0; kvi < 2; kvi++) {
        for (int t = 0; t < tokens; t++) {
          if (t == 3) {
            continue; // an all-zero token: scale 0
          }
          for (int ch = 0; ch < c; ch++) {
            double base = Math.sin(ch * 0.7 + l) * (1 + ch % 5);
            d[kv.offset(l, kvi, t) + ch] =
                (float) (base + r.nextGaussian() * 0.3 * (1 + (ch % 7 == 0 ? 4 : 0)));
          }
        }
      }
    }
    return kv;
  }

  @Test
  void losslessRoundTripsBitExactly() {
    KvTensor kv = sample(5, 300, 32, 1);
    kv.data()[7] = Float.intBitsToFloat(0x7F7FFFFF);
    kv.data()[8] = -0.0f;
    kv.data()[9] = Float.MIN_VALUE;
    KvTensor back = codec.decode(codec.encode(kv, 0, MODEL), MODEL);
    for (int i = 0; i < kv.data().length; i++) {
      assertEquals(
          Float.floatToRawIntBits(kv.data()[i]),
          Float.floatToRawIntBits(back.data()[i]),
          "element " + i);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void eachLevelReconstructsWithinItsQuantizationBound(int levelId) {
    CodecLevel level = CodecLevel.of(levelId);
    int layers = 5;
    int tokens = 600; // three sub-chunks
    int c = 32;
    KvTensor kv = sample(layers, tokens, c, 2);
    byte[] blob = codec.encode(kv, levelId, MODEL);
    KvTensor back = codec.decode(blob, MODEL);
    assertEquals(kv.tokens(), back.tokens());
    assertWithinQuantizationBound(kv, back, level);
    assertTrue(blob.length < 2 * kv.data().length, "a quantized level is smaller than fp16");
  }

  @ParameterizedTest
  @EnumSource(CodecLevel.class)
  void zeroTokensAndEmptyChunksRoundTrip(CodecLevel level) {
    KvTensor zeros = KvTensor.zeros(2, 10, 16);
    assertArrayEquals(
        zeros.data(), codec.decode(codec.encode(zeros, level.id(), MODEL), MODEL).data());
    KvTensor empty = KvTensor.zeros(2, 0, 16);
    assertEquals(0, codec.decode(codec.encode(empty, level.id(), MODEL), MODEL).tokens());
  }

  @Test
  void nonFiniteValuesAreRejectedAtEncodeNotCodedAsGarbage() {
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, 3e38f}) {
      KvTensor kv = sample(2, 20, 16, 30);
      kv.data()[kv.offset(1, 1, 7) + 3] = bad;
      kv.data()[kv.offset(1, 1, 7) + 4] = -bad;
      MeshException e = assertThrows(MeshException.class, () -> codec.encode(kv, 2, MODEL));
      assertEquals(ErrorCode.INVALID_REQUEST, e.code());
      assertTrue(e.getMessage().contains("layer 1 V"), e.getMessage()); // the slot it poisons
    }
  }

  @Test
  void smallerLevelsAreSmaller() {
    KvTensor kv = sample(5, 512, 32, 3);
    int l1 = codec.encode(kv, 1, MODEL).length;
    int l2 = codec.encode(kv, 2, MODEL).length;
    int l3 = codec.encode(kv, 3, MODEL).length;
    assertTrue(l1 < l2 && l2 <= l3, l1 + " " + l2 + " " + l3);
  }

  @Test
  void aBlobOfAnotherModelIsRejected() {
    byte[] blob = codec.encode(sample(2, 8, 16, 4), 2, MODEL);
    MeshException e =
        assertThrows(MeshException.class, () -> codec.decode(blob, new ModelFingerprint(99)));
    assertEquals(ErrorCode.KV_CORRUPT, e.code());
    assertTrue(e.getMessage().contains("made by model"), e.getMessage());
  }

  @Test
  void corruptTruncatedAndWrongVersionBlobsAreRejected() {
    byte[] blob = codec.encode(sample(2, 40, 16, 5), 2, MODEL);
    byte[] flipped = blob.clone();
    flipped[blob.length / 2] ^= 0x10;
    assertTrue(
        assertThrows(MeshException.class, () -> codec.decode(flipped, MODEL))
            .getMessage()
            .contains("checksum"));
    byte[] cut = java.util.Arrays.copyOf(blob, blob.length - 9);
    assertEquals(
        ErrorCode.KV_CORRUPT,
        assertThrows(MeshException.class, () -> codec.decode(cut, MODEL)).code());
    for (short other : new short[] {1, 2, 4}) { // u32 lengths, bf16 scales, a future one
      byte[] wrongVersion = blob.clone();
      ByteBuffer.wrap(wrongVersion).order(ByteOrder.LITTLE_ENDIAN).putShort(4, other);
      assertTrue(
          assertThrows(MeshException.class, () -> codec.decode(withCrc(wrongVersion), MODEL))
              .getMessage()
              .contains("version " + other + " is not supported"));
    }
    assertEquals(
        ErrorCode.KV_CORRUPT,
        assertThrows(MeshException.class, () -> codec.decode(new byte[3], MODEL)).code());
  }

  @Test
  void streamsLongerThan127BytesCarryMultiByteLengths() {
    // near-uniform values over 256 tokens: about 5 bits a symbol, 160 bytes a stream
    KvTensor kv = KvTensor.zeros(1, 256, 8);
    SplittableRandom r = new SplittableRandom(9);
    for (int i = 0; i < kv.data().length; i++) {
      kv.data()[i] = (float) (r.nextDouble() * 2 - 1);
    }
    byte[] blob = codec.encode(kv, 3, MODEL);
    assertTrue(blob.length > 2 * 8 * 128, "blob of " + blob.length + " bytes");
    assertWithinQuantizationBound(kv, codec.decode(blob, MODEL), CodecLevel.LEVEL_3);
  }

  @Test
  void streamLengthVarintsAreBoundedAndRejectedWhenMalformed() {
    ByteBuffer b = ByteBuffer.allocate(16);
    for (int v : new int[] {0, 127, 128, 16_383, 16_384, Integer.MAX_VALUE}) {
      b.clear();
      CacheGenCodec.putVarint(b, v);
      assertEquals(CacheGenCodec.varintBytes(v), b.position());
      b.flip();
      assertEquals(v, CacheGenCodec.getVarint(b));
    }
    byte[][] malformed = {
      {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 1}, // six bytes
      {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F}, // 2^32 - 1
    };
    for (byte[] m : malformed) {
      assertEquals(
          ErrorCode.KV_CORRUPT,
          assertThrows(MeshException.class, () -> CacheGenCodec.getVarint(ByteBuffer.wrap(m)))
              .code());
    }
  }

  /** A few bytes must not make the decoder allocate the tensor their shape claims. */
  @Test
  void aShapeClaimingMoreSubChunksThanTheBlobFramesIsRejectedBeforeAllocating() {
    byte[] blob = codec.encode(sample(1, 5, 8, 10), 2, MODEL);
    ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    int subChunksAt =
        (int)
            (CacheGenCodec.HEADER_BYTES
                + 1
                + 2
                + CodecTables.bodyBytes(1, 8, CodecLevel.LEVEL_2, 1));
    b.putInt(CacheGenCodec.HEADER_BYTES - 4, 13_833_235); // tokens: 221M values
    b.putShort(subChunksAt, (short) 54_037); // as many sub-chunks as those tokens need
    MeshException e = assertThrows(MeshException.class, () -> codec.decode(withCrc(blob), MODEL));
    assertEquals(ErrorCode.KV_CORRUPT, e.code());
    assertTrue(e.getMessage().contains("framing of 54037 sub-chunks"), e.getMessage());
  }

  private static byte[] withCrc(byte[] blob) {
    byte[] out = blob.clone();
    CRC32C crc = new CRC32C();
    crc.update(out, 0, out.length - 4);
    ByteBuffer.wrap(out, out.length - 4, 4)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putInt((int) crc.getValue());
    return out;
  }

  /** Every value within half a step of its token's scale (inline tables centre on the means). */
  static void assertWithinQuantizationBound(KvTensor kv, KvTensor back, CodecLevel level) {
    assertWithinQuantizationBound(
        kv, back, level, CodecTables.means(java.util.List.of(kv), kv.layers(), kv.kvDim()));
  }

  /** As above, around the given means (a calibrated table's). */
  static void assertWithinQuantizationBound(
      KvTensor kv, KvTensor back, CodecLevel level, float[] means) {
    int layers = kv.layers();
    int c = kv.kvDim();
    for (int l = 0; l < layers; l++) {
      for (int kvi = 0; kvi < 2; kvi++) {
        int bins = level.bins(kvi, l, layers);
        for (int t = 0; t < kv.tokens(); t++) {
          int o = kv.offset(l, kvi, t);
          float scale = 0;
          for (int ch = 0; ch < c; ch++) {
            scale = Math.max(scale, Math.abs(kv.data()[o + ch] - means[(l * 2 + kvi) * c + ch]));
          }
          float coded = Quantizer.scaleOf(Quantizer.scaleCode(scale));
          assertTrue(coded >= scale && coded <= scale * 1.0906f, scale + " coded as " + coded);
          float bound = Quantizer.errorBound(coded, bins) * 1.0001f + 1e-7f;
          for (int ch = 0; ch < c; ch++) {
            float err = Math.abs(kv.data()[o + ch] - back.data()[o + ch]);
            assertTrue(
                err <= bound,
                "level " + level + " layer " + l + " token " + t + ": " + err + " > " + bound);
          }
        }
      }
    }
  }
}
