package dev.coemesh.pool.model;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.pool.tokenizer.Llama2cTokenizerFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a llama2.c legacy ("version 0") checkpoint: a 7 × int32 header (dim, hidden, layers, heads,
 * kv heads, vocab, seq len; negative vocab = separate classifier), then float32 arrays in a fixed
 * order. RoPE theta is 10000 and RMSNorm eps 1e-5, as in run.c.
 */
public final class Llama2cLoader {
  private static final int HEADER_BYTES = 28;
  private static final ValueLayout.OfInt I32 =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private Llama2cLoader() {}

  public static Model load(Path modelPath, Path tokenizerPath) {
    MemorySegment file = MappedFile.map(modelPath);
    if (file.byteSize() < HEADER_BYTES) {
      throw invalid(modelPath, "is " + file.byteSize() + " bytes, shorter than the 28-byte header");
    }
    if (file.get(I32, 0) == 0x616b3432) {
      throw invalid(
          modelPath,
          "is a llama2.c version 1/2 export (magic ak42); use the legacy export or GGUF");
    }
    int[] h = new int[7];
    for (int i = 0; i < 7; i++) {
      h[i] = file.get(I32, 4L * i);
    }
    boolean shared = h[5] > 0;
    int vocab = Math.abs(h[5]);
    ModelConfig config;
    try {
      config =
          new ModelConfig(
              h[0], h[1], h[2], h[3], h[4], vocab, h[6], 10000f, h[0] / Math.max(1, h[3]), 1e-5f);
    } catch (IllegalArgumentException e) {
      throw invalid(
          modelPath,
          "has an impossible header " + java.util.Arrays.toString(h) + ": " + e.getMessage());
    }
    int dim = config.dim();
    int hs = config.headSize();
    int kvDim = config.kvDim();
    int layers = config.layers();
    int hidden = config.hiddenDim();
    long expected;
    try { // products of header fields can pass 2^63 and wrap around to any size, even the file's
      long perLayer =
          sum(
              dim,
              product(dim, dim),
              product(2, kvDim, dim),
              product(dim, dim),
              dim,
              product(3, hidden, dim));
      long floats =
          sum(
              product(shared ? 1 : 2, vocab, dim),
              product(layers, perLayer),
              dim,
              product(config.contextLength(), hs)); // freq_cis real + imag, hs/2 each
      expected = sum(HEADER_BYTES, product(floats, 4));
    } catch (ArithmeticException e) {
      throw invalid(
          modelPath,
          "has an impossible header "
              + java.util.Arrays.toString(h)
              + ": its shape needs more than 2^63 bytes");
    }
    if (file.byteSize() != expected) {
      throw invalid(
          modelPath,
          (file.byteSize() < expected ? "is truncated: " : "has trailing bytes: ")
              + file.byteSize()
              + " bytes, the header's shape needs "
              + expected);
    }
    Cursor c = new Cursor(file, HEADER_BYTES);
    Weight embedding = c.matrix("token_embedding_table", vocab, dim);
    MemorySegment rmsAtt = c.take((long) layers * dim);
    MemorySegment wq = c.take((long) layers * dim * dim);
    MemorySegment wk = c.take((long) layers * kvDim * dim);
    MemorySegment wv = c.take((long) layers * kvDim * dim);
    MemorySegment wo = c.take((long) layers * dim * dim);
    MemorySegment rmsFfn = c.take((long) layers * dim);
    MemorySegment w1 = c.take((long) layers * hidden * dim);
    MemorySegment w2 = c.take((long) layers * dim * hidden);
    MemorySegment w3 = c.take((long) layers * hidden * dim);
    float[] finalNorm = MappedFile.floats(c.take(dim));
    c.take((long) config.contextLength() * hs); // freq_cis_real and _imag: recomputed, not read
    Weight output = shared ? embedding : c.matrix("wcls", vocab, dim);

    List<LayerWeights> layerWeights = new ArrayList<>(layers);
    for (int l = 0; l < layers; l++) {
      layerWeights.add(
          new LayerWeights(
              MappedFile.floats(slice(rmsAtt, l, dim)),
              f32("wq." + l, slice(wq, l, (long) dim * dim), dim, dim),
              f32("wk." + l, slice(wk, l, (long) kvDim * dim), kvDim, dim),
              f32("wv." + l, slice(wv, l, (long) kvDim * dim), kvDim, dim),
              f32("wo." + l, slice(wo, l, (long) dim * dim), dim, dim),
              MappedFile.floats(slice(rmsFfn, l, dim)),
              f32("w1." + l, slice(w1, l, (long) hidden * dim), hidden, dim),
              f32("w2." + l, slice(w2, l, (long) dim * hidden), dim, hidden),
              f32("w3." + l, slice(w3, l, (long) hidden * dim), hidden, dim)));
    }
    ModelWeights weights = new ModelWeights(embedding, layerWeights, finalNorm, output);
    var tokenizer = Llama2cTokenizerFile.read(tokenizerPath, vocab);
    String name = modelPath.getFileName().toString().replaceFirst("\\.bin$", "");
    return new Model(
        name, config, weights, tokenizer, new ModelFingerprint(MappedFile.fingerprint(file)));
  }

  private static long product(long... factors) {
    long p = 1;
    for (long f : factors) {
      p = Math.multiplyExact(p, f);
    }
    return p;
  }

  private static long sum(long... terms) {
    long s = 0;
    for (long t : terms) {
      s = Math.addExact(s, t);
    }
    return s;
  }

  private static MemorySegment slice(MemorySegment all, int layer, long floatsPerLayer) {
    return all.asSlice(layer * floatsPerLayer * 4, floatsPerLayer * 4);
  }

  private static Weight f32(String name, MemorySegment data, int rows, int cols) {
    return new Weight(name, TensorType.F32, rows, cols, data);
  }

  private static MeshException invalid(Path path, String what) {
    return new MeshException(ErrorCode.MODEL_FILE_INVALID, "llama2.c model " + path + " " + what);
  }

  private static final class Cursor {
    private final MemorySegment file;
    private long offset;

    Cursor(MemorySegment file, long offset) {
      this.file = file;
      this.offset = offset;
    }

    MemorySegment take(long floats) {
      MemorySegment s = file.asSlice(offset, floats * 4);
      offset += floats * 4;
      return s;
    }

    Weight matrix(String name, int rows, int cols) {
      return f32(name, take((long) rows * cols), rows, cols);
    }
  }
}
