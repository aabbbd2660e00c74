package dev.coemesh.pool.synthetic;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes the GGUF v3 container: header, metadata, tensor directory, aligned tensor data. */
final class GgufWriter {
  /** GGUF's default alignment, which applies when the file has no {@code general.alignment}. */
  static final int ALIGNMENT = 32;

  private final OutputStream out;
  private final long alignment;
  private long written;

  GgufWriter(OutputStream out) {
    this(out, ALIGNMENT);
  }

  /** A writer whose tensor data is aligned to {@code alignment}, as the file's metadata says. */
  GgufWriter(OutputStream out, long alignment) {
    if (alignment < 1 || Long.bitCount(alignment) != 1) {
      throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
    }
    this.out = out;
    this.alignment = alignment;
  }

  static long align(long offset) {
    return align(offset, ALIGNMENT);
  }

  static long align(long offset, long alignment) {
    return (offset + alignment - 1) / alignment * alignment;
  }

  void header(int tensors, int keyValues) throws IOException {
    bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
    u32(3);
    u64(tensors);
    u64(keyValues);
  }

  void keyValue(String key, Object value) throws IOException {
    string(key);
    switch (value) {
      case Integer i -> {
        u32(4);
        u32(i);
      }
      case Float f -> {
        u32(6);
        u32(Float.floatToIntBits(f));
      }
      case Boolean b -> {
        u32(7);
        bytes(new byte[] {(byte) (b ? 1 : 0)});
      }
      case String s -> {
        u32(8);
        string(s);
      }
      case int[] ints -> {
        u32(9);
        u32(5);
        u64(ints.length);
        for (int i : ints) {
          u32(i);
        }
      }
      case String[] strings -> {
        u32(9);
        u32(8);
        u64(strings.length);
        for (String s : strings) {
          string(s);
        }
      }
      case float[] floats -> {
        u32(9);
        u32(6);
        u64(floats.length);
        for (float f : floats) {
          u32(Float.floatToIntBits(f));
        }
      }
      default -> throw new IllegalArgumentException("no GGUF encoding for " + value.getClass());
    }
  }

  void tensorInfo(String name, long[] dims, int type, long offset) throws IOException {
    string(name);
    u32(dims.length);
    for (long d : dims) {
      u64(d);
    }
    u32(type);
    u64(offset);
  }

  void padToAlignment() throws IOException {
    while (written % alignment != 0) {
      out.write(0);
      written++;
    }
  }

  void bytes(byte[] b) throws IOException {
    out.write(b);
    written += b.length;
  }

  private void string(String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    u64(b.length);
    bytes(b);
  }

  private void u32(int v) throws IOException {
    bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
  }

  private void u64(long v) throws IOException {
    bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
  }
}
