package dev.coemesh.testkit;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Mutations of binary files and blobs for {@link FuzzRun} cases: bit flips, byte overwrites,
 * truncation, garbage appended, splices, and little-endian fields set to extreme values. Fields are
 * little-endian, as in every format the mesh reads (GGUF, llama2.c, the KV envelope).
 */
public final class ByteMutations {
  private ByteMutations() {}

  /**
   * A position in {@code [from, length)}, in {@code [from, hotEnd)} three times in four: header
   * regions hold the fields a parser trusts, so they deserve most of the mutations.
   */
  public static int position(SplittableRandom r, int from, int hotEnd, int length) {
    int hot = Math.min(hotEnd, length);
    return hot > from && r.nextInt(4) != 0 ? r.nextInt(from, hot) : r.nextInt(from, length);
  }

  public static void flipBit(byte[] bytes, int at, SplittableRandom r) {
    bytes[at] ^= (byte) (1 << r.nextInt(8));
  }

  public static void randomByte(byte[] bytes, int at, SplittableRandom r) {
    bytes[at] = (byte) r.nextInt(256);
  }

  public static byte[] truncate(byte[] bytes, int length) {
    return Arrays.copyOf(bytes, length);
  }

  /** The bytes with 1 to {@code max} random bytes appended. */
  public static byte[] extend(byte[] bytes, SplittableRandom r, int max) {
    byte[] out = Arrays.copyOf(bytes, bytes.length + 1 + r.nextInt(max));
    for (int i = bytes.length; i < out.length; i++) {
      out[i] = (byte) r.nextInt(256);
    }
    return out;
  }

  /** {@code bytes[from, to)} replaced by {@code insert}. */
  public static byte[] splice(byte[] bytes, int from, int to, byte[] insert) {
    byte[] out = new byte[bytes.length - (to - from) + insert.length];
    System.arraycopy(bytes, 0, out, 0, from);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(bytes, to, out, from + insert.length, bytes.length - to);
    return out;
  }

  /**
   * How often each edit of {@link #edit} is chosen: {@code flips} and {@code overwrites} against
   * one each for a cut, appended garbage (1 to {@code maxExtension} bytes) and a byte removed or
   * inserted.
   */
  public record EditMix(int flips, int overwrites, int maxExtension) {}

  /**
   * One random edit of {@code bytes} at a {@link #position} in {@code [from, length)}, described in
   * {@code what}; the result may be {@code bytes} changed in place or a new array.
   */
  public static byte[] edit(
      byte[] bytes, int from, int hotEnd, SplittableRandom r, EditMix mix, StringBuilder what) {
    if (bytes.length <= from) {
      return bytes;
    }
    int at = position(r, from, hotEnd, bytes.length);
    int pick = r.nextInt(mix.flips() + mix.overwrites() + 3);
    if (pick < mix.flips()) {
      flipBit(bytes, at, r);
      what.append(", flip@").append(at);
      return bytes;
    }
    pick -= mix.flips();
    if (pick < mix.overwrites()) {
      randomByte(bytes, at, r);
      what.append(", byte@").append(at);
      return bytes;
    }
    return switch (pick - mix.overwrites()) {
      case 0 -> {
        what.append(", cut to ").append(at);
        yield truncate(bytes, at);
      }
      case 1 -> {
        byte[] out = extend(bytes, r, mix.maxExtension());
        what.append(", +").append(out.length - bytes.length).append(" bytes");
        yield out;
      }
      default -> {
        boolean insert = r.nextBoolean();
        what.append(insert ? ", insert@" : ", delete@").append(at);
        yield splice(
            bytes,
            at,
            insert ? at : at + 1,
            insert ? new byte[] {(byte) r.nextInt(256)} : new byte[0]);
      }
    };
  }

  public static byte[] random(SplittableRandom r, int length) {
    byte[] out = new byte[length];
    r.nextBytes(out);
    return out;
  }

  /** The unsigned little-endian field of {@code width} bytes (1 to 8) at {@code at}. */
  public static long get(byte[] bytes, int at, int width) {
    long v = 0;
    for (int i = width - 1; i >= 0; i--) {
      v = (v << 8) | (bytes[at + i] & 0xFF);
    }
    return v;
  }

  public static void put(byte[] bytes, int at, int width, long value) {
    for (int i = 0; i < width; i++) {
      bytes[at + i] = (byte) (value >>> (8 * i));
    }
  }

  /**
   * A value for a field of {@code width} bytes that held {@code original}: zero, one, all ones
   * (-1), the largest and smallest signed values, a large power of two, a neighbour or double of
   * the original, or random bits. Wider than the field, it is truncated when stored.
   */
  public static long extreme(SplittableRandom r, int width, long original) {
    int bits = 8 * width;
    long signedMax = bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1;
    return switch (r.nextInt(10)) {
      case 0 -> 0;
      case 1 -> 1;
      case 2 -> -1;
      case 3 -> signedMax;
      case 4 -> signedMax + 1; // the smallest signed value
      case 5 -> 1L << r.nextInt(bits);
      case 6 -> original + 1;
      case 7 -> original - 1;
      case 8 -> original * 2;
      default -> r.nextLong();
    };
  }
}
