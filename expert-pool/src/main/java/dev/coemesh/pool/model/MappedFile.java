package dev.coemesh.pool.model;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A whole file memory-mapped read-only; weights are views into it, never copies. */
final class MappedFile {
  private MappedFile() {}

  static MemorySegment map(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new MeshException(ErrorCode.MODEL_FILE_INVALID, "model file not found: " + path);
    }
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      return channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), Arena.ofAuto());
    } catch (IOException e) {
      throw new MeshException(
          ErrorCode.MODEL_FILE_INVALID, "cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * A cheap, stable 64-bit fingerprint: the size and every 4096th 64-bit word, mixed. Two different
   * trained models differ in the sampled words with overwhelming likelihood, and reading a sample
   * keeps start-up fast for multi-gigabyte files.
   */
  static long fingerprint(MemorySegment file) {
    ValueLayout.OfLong word = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    long h = 0x243F6A8885A308D3L ^ file.byteSize();
    for (long offset = 0; offset + 8 <= file.byteSize(); offset += 8 * 4096L) {
      h = mix(h ^ file.get(word, offset));
    }
    if (file.byteSize() >= 8) {
      h = mix(h ^ file.get(word, file.byteSize() - 8));
    }
    return h;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
    z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
    return z ^ (z >>> 33);
  }

  static float[] floats(MemorySegment segment) {
    float[] out = new float[Math.toIntExact(segment.byteSize() / 4)];
    MemorySegment.copy(segment, Kernels.F32_LE, 0, out, 0, out.length);
    return out;
  }
}
