package dev.coemesh.pool.model;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed GGUF (v2/v3) file: metadata, tensor directory, and tensor bytes as views into the mapped
 * file. Every count and length is checked against the bytes that remain before anything is
 * allocated, so a corrupt file fails with a message rather than an out-of-memory error.
 */
public final class GgufFile {
  private static final int MAGIC = 0x46554747; // "GGUF" little-endian
  private static final int DEFAULT_ALIGNMENT = 32;
  private static final long MAX_ALIGNMENT = 1L << 30;
  private static final ValueLayout.OfInt I32 =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong I64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** One tensor's directory entry; {@code dims[0]} is the contiguous (input) dimension. */
  public record TensorInfo(String name, long[] dims, TensorType type, MemorySegment data) {
    public long elements() {
      long n = 1;
      for (long d : dims) {
        n = Math.multiplyExact(n, d);
      }
      return n;
    }
  }

  private final Path path;
  private final MemorySegment file;
  private final int version;
  private final Map<String, Object> metadata;
  private final Map<String, MemorySegment> encodedMetadata;
  private final long alignment;
  private final Map<String, TensorInfo> tensors;

  private GgufFile(
      Path path,
      MemorySegment file,
      int version,
      Map<String, Object> metadata,
      Map<String, MemorySegment> encodedMetadata,
      long alignment,
      Map<String, TensorInfo> tensors) {
    this.path = path;
    this.file = file;
    this.version = version;
    this.metadata = metadata;
    this.encodedMetadata = encodedMetadata;
    this.alignment = alignment;
    this.tensors = tensors;
  }

  public static boolean hasMagic(MemorySegment file) {
    return file.byteSize() >= 4 && file.get(I32, 0) == MAGIC;
  }

  public static GgufFile read(Path path) {
    return parse(path, MappedFile.map(path));
  }

  static GgufFile parse(Path path, MemorySegment file) {
    Reader r = new Reader(path, file);
    if (!hasMagic(file)) {
      throw r.invalid("has no GGUF magic");
    }
    r.offset = 4;
    int version = r.i32();
    if (version < 2 || version > 3) {
      throw r.invalid("is GGUF version " + version + "; versions 2 and 3 are supported");
    }
    long tensorCount = r.count("tensor count", 16);
    long kvCount = r.count("metadata count", 12);
    Map<String, Object> metadata = new LinkedHashMap<>();
    Map<String, MemorySegment> encodedMetadata = new LinkedHashMap<>();
    for (long i = 0; i < kvCount; i++) {
      long start = r.offset;
      String key = r.string();
      metadata.put(key, r.value(r.i32(), 0));
      encodedMetadata.put(key, file.asSlice(start, r.offset - start));
    }
    record Pending(String name, long[] dims, TensorType type, long offset) {}
    List<Pending> pending = new ArrayList<>();
    for (long i = 0; i < tensorCount; i++) {
      String name = r.string();
      int nDims = r.i32();
      if (nDims < 1 || nDims > 4) {
        throw r.invalid("tensor " + name + " has " + nDims + " dimensions");
      }
      long[] dims = new long[nDims];
      for (int d = 0; d < nDims; d++) {
        dims[d] = r.i64();
        if (dims[d] < 1 || dims[d] > (1L << 40)) {
          throw r.invalid("tensor " + name + " has dimension " + dims[d]);
        }
      }
      int typeId = r.i32();
      TensorType type;
      try {
        type = TensorType.fromGgml(typeId);
      } catch (MeshException e) {
        throw r.invalid("tensor " + name + ": " + e.getMessage());
      }
      pending.add(new Pending(name, dims, type, r.i64()));
    }
    long alignment = DEFAULT_ALIGNMENT;
    if (metadata.containsKey("general.alignment")) {
      // the spec's rule; it also keeps the data offset below from overflowing
      if (!(metadata.get("general.alignment") instanceof Long a)
          || a < 1
          || a > MAX_ALIGNMENT
          || Long.bitCount(a) != 1) {
        throw r.invalid(
            "has general.alignment "
                + metadata.get("general.alignment")
                + "; it must be a power of two up to "
                + MAX_ALIGNMENT);
      }
      alignment = a;
    }
    long dataStart = (r.offset + alignment - 1) / alignment * alignment;
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    for (Pending p : pending) {
      long elements = 1;
      for (long d : p.dims) {
        // every type takes over a quarter byte a value (Q2_K 84 bytes per 256): no tensor of this
        // file holds more
        if (d > 4 * file.byteSize() / elements) {
          throw r.invalid(
              "tensor "
                  + p.name
                  + " has dimensions "
                  + Arrays.toString(p.dims)
                  + ", more values than the file can hold");
        }
        elements *= d;
      }
      long bytes;
      try {
        bytes = p.type.bytesFor(elements);
      } catch (MeshException e) {
        throw r.invalid("tensor " + p.name + ": " + e.getMessage());
      }
      // compared without adding the offset, which may be near 2^63
      if (p.offset < 0 || p.offset > file.byteSize() - dataStart - bytes) {
        throw r.invalid(
            "is truncated: tensor "
                + p.name
                + " of "
                + bytes
                + " bytes at data offset "
                + p.offset
                + " lies beyond its "
                + file.byteSize()
                + " bytes");
      }
      long start = dataStart + p.offset;
      tensors.put(p.name, new TensorInfo(p.name, p.dims, p.type, file.asSlice(start, bytes)));
    }
    return new GgufFile(path, file, version, metadata, encodedMetadata, alignment, tensors);
  }

  public Path path() {
    return path;
  }

  public MemorySegment bytes() {
    return file;
  }

  public int version() {
    return version;
  }

  public Map<String, Object> metadata() {
    return metadata;
  }

  /**
   * Each metadata pair as the file encodes it (key, value type, value), in file order: what a tool
   * that rewrites the file copies, keeping every value's exact GGUF type, which {@link #metadata()}
   * widens (u8..i64 to {@code Long}, f32 to {@code Double}).
   */
  public Map<String, MemorySegment> encodedMetadata() {
    return encodedMetadata;
  }

  /** The alignment of tensor data: {@code general.alignment}, else the default 32. */
  public long alignment() {
    return alignment;
  }

  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  public String string(String key) {
    Object v = metadata.get(key);
    if (!(v instanceof String s)) {
      throw missing(key, "string");
    }
    return s;
  }

  public long integer(String key) {
    Object v = metadata.get(key);
    if (!(v instanceof Long l)) {
      throw missing(key, "integer");
    }
    return l;
  }

  public long integer(String key, long fallback) {
    return metadata.get(key) instanceof Long l ? l : fallback;
  }

  public double real(String key, double fallback) {
    Object v = metadata.get(key);
    return v instanceof Double d ? d : v instanceof Long l ? l : fallback;
  }

  public TensorInfo tensor(String name) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new MeshException(
          ErrorCode.MODEL_FILE_INVALID, "GGUF " + path + " lacks tensor " + name);
    }
    return t;
  }

  private MeshException missing(String key, String type) {
    return new MeshException(
        ErrorCode.MODEL_FILE_INVALID, "GGUF " + path + " lacks " + type + " metadata " + key);
  }

  /** Array values: strings as {@code String[]}, numbers as {@code float[]}/{@code long[]}. */
  private static final class Reader {
    private static final int MAX_NESTING = 2;
    private final Path path;
    private final MemorySegment file;
    long offset;

    Reader(Path path, MemorySegment file) {
      this.path = path;
      this.file = file;
    }

    MeshException invalid(String what) {
      return new MeshException(ErrorCode.MODEL_FILE_INVALID, "GGUF " + path + " " + what);
    }

    private void need(long bytes) {
      if (bytes < 0 || offset + bytes > file.byteSize()) {
        throw invalid(
            "is truncated or corrupt at byte " + offset + " (needs " + bytes + " more bytes)");
      }
    }

    int i32() {
      need(4);
      int v = file.get(I32, offset);
      offset += 4;
      return v;
    }

    long i64() {
      need(8);
      long v = file.get(I64, offset);
      offset += 8;
      return v;
    }

    /** A count of items each taking at least {@code minBytes}: bounded by what remains. */
    long count(String what, int minBytes) {
      long n = i64();
      if (n < 0 || n > (file.byteSize() - offset) / Math.max(1, minBytes)) {
        throw invalid("has an impossible " + what + " " + n);
      }
      return n;
    }

    String string() {
      long length = i64();
      need(length);
      if (length > Integer.MAX_VALUE - 8) {
        throw invalid("has a string of " + length + " bytes");
      }
      byte[] bytes = new byte[(int) length];
      MemorySegment.copy(file, ValueLayout.JAVA_BYTE, offset, bytes, 0, bytes.length);
      offset += length;
      return new String(bytes, StandardCharsets.UTF_8);
    }

    Object value(int type, int depth) {
      return switch (type) {
        case 0, 1, 7 -> {
          need(1);
          byte b = file.get(ValueLayout.JAVA_BYTE, offset++);
          yield type == 7 ? (Object) (b != 0) : (Object) (long) (type == 0 ? b & 0xFF : b);
        }
        case 2, 3 -> {
          need(2);
          short s =
              file.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), offset);
          offset += 2;
          yield (long) (type == 2 ? s & 0xFFFF : s);
        }
        case 4 -> i32() & 0xFFFFFFFFL;
        case 5 -> (long) i32();
        case 6 -> (double) Float.intBitsToFloat(i32());
        case 8 -> string();
        case 9 -> array(depth);
        case 10, 11 -> i64();
        case 12 -> Double.longBitsToDouble(i64());
        default -> throw invalid("has unknown metadata value type " + type + " at byte " + offset);
      };
    }

    /** The fewest bytes a value of {@code type} takes: a string its length, an array its header. */
    private static int minBytes(int type) {
      return switch (type) {
        case 2, 3 -> 2;
        case 4, 5, 6 -> 4;
        case 8, 10, 11, 12 -> 8;
        case 9 -> 12;
        default -> 1;
      };
    }

    private Object array(int depth) {
      if (depth >= MAX_NESTING) {
        throw invalid("nests arrays too deeply");
      }
      int elementType = i32();
      long n = count("array length", minBytes(elementType));
      if (n > Integer.MAX_VALUE - 8) {
        throw invalid("has an array of " + n + " items");
      }
      int count = (int) n;
      switch (elementType) {
        case 8 -> {
          String[] out = new String[count];
          for (int i = 0; i < count; i++) {
            out[i] = string();
          }
          return out;
        }
        case 6 -> {
          need(4L * count);
          float[] out = new float[count];
          MemorySegment.copy(file, Kernels.F32_LE, offset, out, 0, count);
          offset += 4L * count;
          return out;
        }
        default -> {
          long[] out = new long[count];
          Object[] nested = null;
          for (int i = 0; i < count; i++) {
            Object v = value(elementType, depth + 1);
            if (v instanceof Long l) {
              out[i] = l;
            } else {
              if (nested == null) {
                nested = new Object[count];
              }
              nested[i] = v;
            }
          }
          return nested != null ? nested : out;
        }
      }
    }
  }
}
