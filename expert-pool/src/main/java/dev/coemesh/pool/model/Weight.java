package dev.coemesh.pool.model;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A weight matrix {@code [rows][cols]}, row-major, {@code y = W·x} reading one contiguous row per
 * output. The bytes stay where the loader found them (usually a memory-mapped file).
 */
public record Weight(String name, TensorType type, int rows, int cols, MemorySegment data) {
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

  public long rowBytes() {
    return type.bytesFor(cols);
  }

  /** Row {@code r} as floats (embedding lookup). */
  public void readRow(int r, float[] out, int outOffset) {
    Kernels.dequantizeRow(this, r, out, outOffset);
  }
}
