package dev.coemesh.pool.model;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A weight matrix {@code [rows][cols]}, row-major, {@code y = W·x} reading one contiguous row per
 * output. Quantized bytes stay where the loader found them (usually a memory-mapped file). F32
 * matrices are also kept on the heap packed in panels of {@link Kernels#PANEL} rows (zero-padded;
 * layout in {@link PackedKernels}), so the matmul computes a vector of outputs per step with
 * broadcast inputs and no horizontal reductions (which at these widths cost more than the
 * multiply-adds), while still streaming the weights sequentially (measured with {@code ./mesh bench
 * engine}: batch 1 and batch 16 both gain over a row-major dot product).
 *
 * @param packed the F32 values in panels when {@code type} is F32, otherwise null
 */
public record Weight(
    String name, TensorType type, int rows, int cols, MemorySegment data, float[] packed) {

  public Weight(String name, TensorType type, int rows, int cols, MemorySegment data) {
    this(name, type, rows, cols, data, type == TensorType.F32 ? pack(data, rows, cols) : null);
  }

  private static float[] pack(MemorySegment data, int rows, int cols) {
    return PackedKernels.pack(MappedFile.floats(data), rows, cols);
  }

  public Weight {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException(name + ": bad shape " + rows + "x" + cols);
    }
    if (cols % type.blockElements() != 0) {
      throw new IllegalArgumentException(
          name + ": row of " + cols + " values is not whole " + type + " blocks");
    }
    long expected = type.bytesFor((long) rows * cols);
    if (data.byteSize() != expected) {
      throw new IllegalArgumentException(
          name + ": holds " + data.byteSize() + " bytes, shape needs " + expected);
    }
  }

  /**
   * Rows [from, from+count) as a matrix of their own, sharing the bytes: how fused matrices
   * (Phi-3's QKV, its gate+up) become the separate ones the engine multiplies by.
   */
  public Weight rows(String name, int from, int count) {
    if (from < 0 || count < 1 || from + count > rows) {
      throw new IllegalArgumentException(
          this.name + ": rows [" + from + ", " + (from + count) + ") outside " + rows);
    }
    return new Weight(name, type, count, cols, data.asSlice(from * rowBytes(), count * rowBytes()));
  }

  public long rowBytes() {
    return type.bytesFor(cols);
  }

  /** Row {@code r} as floats (embedding lookup). */
  public void readRow(int r, float[] out, int outOffset) {
    Kernels.dequantizeRow(this, r, out, outOffset);
  }
}
