package dev.coemesh.pool.synthetic;

import dev.coemesh.pool.model.GgufFile;
import dev.coemesh.pool.model.GgufFile.TensorInfo;
import dev.coemesh.pool.model.TensorType;
import dev.coemesh.pool.model.Weight;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a copy of a GGUF file with its weight matrices in another {@link TensorType}, encoded by
 * this project's own {@link Quantizer}: how a real model (such as stories260K) is made into a file
 * of each type to check the engine on, against llama.cpp running the same bytes.
 *
 * <ul>
 *   <li>Every 2-d tensor is a matrix and is re-encoded, unless its rows (the contiguous first
 *       dimension) are not whole blocks of the type: it then stays as it is, and the returned
 *       {@link Result#kept} says so. Norms and other 1-d tensors stay as they are.
 *   <li>Every metadata pair is copied byte for byte (tokenizer, chat template, exact value types),
 *       except {@code general.file_type}, which is set to llama.cpp's id for the type ({@link
 *       QuantMix#fileType}).
 *   <li>The input's matrices must be F32, F16 or BF16: re-quantizing a quantized matrix would round
 *       twice, so such a file is refused.
 *   <li>The output depends only on the input's bytes and the type: no dates, no threads.
 * </ul>
 */
public final class GgufQuantizer {
  private static final String FILE_TYPE = "general.file_type";

  private GgufQuantizer() {}

  /** What was written: the matrices re-encoded, and a line for each one kept as it was. */
  public record Result(int converted, List<String> kept) {
    public Result {
      kept = List.copyOf(kept);
    }
  }

  /** A tensor as it goes into the output. */
  private record Tensor(String name, long[] dims, TensorType type, MemorySegment data) {}

  public static Result quantize(Path in, Path out, TensorType type) throws IOException {
    if (Files.exists(out) && Files.isSameFile(in, out)) {
      throw new IllegalArgumentException("--out must differ from --in (" + in + ")");
    }
    GgufFile file = GgufFile.read(in);
    List<Tensor> tensors = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    int converted = 0;
    for (TensorInfo t : file.tensors().values()) {
      if (t.dims().length != 2 || t.type() == type) {
        tensors.add(new Tensor(t.name(), t.dims(), t.type(), t.data()));
        continue;
      }
      if (t.type().blockElements() != 1) {
        throw new IllegalArgumentException(
            "tensor "
                + t.name()
                + " is already "
                + t.type()
                + "; quantize reads F32, F16 and BF16 matrices only");
      }
      int cols = Math.toIntExact(t.dims()[0]);
      if (cols % type.blockElements() != 0) {
        kept.add(
            t.name()
                + " stays "
                + t.type()
                + ": its rows of "
                + cols
                + " values are not whole "
                + type.blockElements()
                + "-value "
                + type
                + " blocks");
        tensors.add(new Tensor(t.name(), t.dims(), t.type(), t.data()));
        continue;
      }
      byte[] encoded = Quantizer.encode(floats(t), type);
      tensors.add(new Tensor(t.name(), t.dims(), type, MemorySegment.ofArray(encoded)));
      converted++;
    }
    write(file, tensors, fileType(type), out);
    return new Result(converted, kept);
  }

  /** llama.cpp's file type for a file mostly in {@code type}: the first mix based on it. */
  static int fileType(TensorType type) {
    for (QuantMix mix : QuantMix.values()) {
      if (mix.base() == type) {
        return mix.fileType();
      }
    }
    throw new IllegalArgumentException("no llama.cpp file type is based on " + type);
  }

  /** A float matrix's values, row after row. */
  private static float[] floats(TensorInfo t) {
    int cols = Math.toIntExact(t.dims()[0]);
    int rows = Math.toIntExact(t.elements() / cols);
    float[] values = new float[rows * cols];
    Weight w = new Weight(t.name(), t.type(), rows, cols, t.data(), null);
    for (int r = 0; r < rows; r++) {
      w.readRow(r, values, r * cols);
    }
    return values;
  }

  private static void write(GgufFile file, List<Tensor> tensors, int fileType, Path out)
      throws IOException {
    Map<String, MemorySegment> metadata = file.encodedMetadata();
    boolean hadFileType = metadata.containsKey(FILE_TYPE);
    try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20)) {
      GgufWriter w = new GgufWriter(raw, file.alignment());
      w.header(tensors.size(), metadata.size() + (hadFileType ? 0 : 1));
      for (Map.Entry<String, MemorySegment> e : metadata.entrySet()) {
        if (e.getKey().equals(FILE_TYPE)) {
          w.keyValue(FILE_TYPE, fileType); // in the input's place, so the order stays
        } else {
          w.bytes(e.getValue().toArray(ValueLayout.JAVA_BYTE));
        }
      }
      if (!hadFileType) {
        w.keyValue(FILE_TYPE, fileType);
      }
      long offset = 0;
      for (Tensor t : tensors) {
        w.tensorInfo(t.name(), t.dims(), t.type().ggmlId(), offset);
        offset = GgufWriter.align(offset + t.data().byteSize(), file.alignment());
      }
      w.padToAlignment();
      for (Tensor t : tensors) {
        w.bytes(t.data().toArray(ValueLayout.JAVA_BYTE));
        w.padToAlignment();
      }
    }
  }
}
