package dev.coemesh.pool.synthetic;

import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.TensorType;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes models of any shape with deterministic random weights, for benchmarks and format tests: a
 * llama2.c checkpoint with its tokenizer file, and a GGUF v3 file whose matrices use any supported
 * tensor type, uniformly or as a llama.cpp quantization mix ({@link QuantMix}). The same seed gives
 * the same weights in both formats (before quantization).
 */
public final class SyntheticModel {
  /** The stories15M shape (llama2.c's 15M TinyStories model). */
  public static final ModelConfig STORIES_15M =
      new ModelConfig(288, 768, 6, 6, 6, 32000, 256, 10000f, 48, 1e-5f);

  /**
   * The stories15M shape with 2048 positions instead of 256: long prompts (multi-turn chat with a
   * shared system prompt, {@code ./mesh bench mesh}) whose prefill costs real time.
   */
  public static final ModelConfig STORIES_15M_2K =
      new ModelConfig(288, 768, 6, 6, 6, 32000, 2048, 10000f, 48, 1e-5f);

  private final ModelConfig c;
  private final long seed;

  public SyntheticModel(ModelConfig config, long seed) {
    this.c = config;
    this.seed = seed;
  }

  /** One tensor's values, in llama2.c order; the weights of a matrix scale with 1/sqrt(fan-in). */
  private float[] values(String name, int count, int fanIn) {
    if (name.contains("norm")) {
      float[] ones = new float[count];
      java.util.Arrays.fill(ones, 1f);
      return ones;
    }
    SplittableRandom random = new SplittableRandom(seed ^ name.hashCode());
    float scale = (float) (1.0 / Math.sqrt(fanIn));
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      out[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
    }
    return out;
  }

  private float[] layered(String name, int rows, int cols) {
    float[] all = new float[c.layers() * rows * cols];
    for (int l = 0; l < c.layers(); l++) {
      System.arraycopy(
          values("blk." + l + "." + name, rows * cols, cols), 0, all, l * rows * cols, rows * cols);
    }
    return all;
  }

  /** Writes {@code model} (.bin, shared classifier) and {@code tokenizer} (llama2.c format). */
  public void writeLlama2c(Path model, Path tokenizer) throws IOException {
    int dim = c.dim();
    int kvDim = c.kvDim();
    int hidden = c.hiddenDim();
    try (DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(model), 1 << 20))) {
      for (int v :
          new int[] {
            dim, hidden, c.layers(), c.heads(), c.kvHeads(), c.vocabSize(), c.contextLength()
          }) {
        writeInt(out, v);
      }
      writeFloats(out, values("token_embd", c.vocabSize() * dim, dim));
      writeFloats(out, layered("attn_norm", 1, dim));
      writeFloats(out, layered("attn_q", dim, dim));
      writeFloats(out, layered("attn_k", kvDim, dim));
      writeFloats(out, layered("attn_v", kvDim, dim));
      writeFloats(out, layered("attn_output", dim, dim));
      writeFloats(out, layered("ffn_norm", 1, dim));
      writeFloats(out, layered("ffn_gate", hidden, dim));
      writeFloats(out, layered("ffn_down", dim, hidden));
      writeFloats(out, layered("ffn_up", hidden, dim));
      writeFloats(out, values("output_norm", dim, dim));
      writeFloats(out, new float[c.contextLength() * c.headSize()]); // freq_cis, unused
    }
    Vocabulary vocabulary = Vocabulary.of(c.vocabSize());
    try (DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tokenizer)))) {
      writeInt(out, vocabulary.maxPieceBytes());
      for (int i = 0; i < c.vocabSize(); i++) {
        byte[] piece = vocabulary.pieces()[i].getBytes(StandardCharsets.UTF_8);
        writeInt(out, Float.floatToIntBits(vocabulary.scores()[i]));
        writeInt(out, piece.length);
        out.write(piece);
      }
    }
  }

  /** Writes a GGUF v3 file with every matrix in {@code matrixType} (norms stay F32). */
  public void writeGguf(Path path, TensorType matrixType) throws IOException {
    writeGguf(path, null, (role, layer, cols) -> matrixType);
  }

  /**
   * Writes a GGUF v3 file laid out as llama.cpp's quantizer lays out {@code mix}: each matrix in
   * the type the mix gives its role, layer and row length, and {@code general.file_type} naming the
   * mix.
   */
  public void writeGguf(Path path, QuantMix mix) throws IOException {
    int gqa = c.heads() / c.kvHeads();
    writeGguf(path, mix, (role, layer, cols) -> mix.typeOf(role, layer, c.layers(), cols, gqa));
  }

  /** Picks each matrix's type. */
  private interface TypeChoice {
    TensorType of(QuantMix.Role role, int layer, int cols);
  }

  private void writeGguf(Path path, QuantMix mix, TypeChoice types) throws IOException {
    int dim = c.dim();
    int kvDim = c.kvDim();
    int hidden = c.hiddenDim();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("general.architecture", "llama");
    meta.put("general.name", "synthetic");
    if (mix != null) {
      meta.put("general.file_type", mix.fileType());
    }
    meta.put("llama.context_length", c.contextLength());
    meta.put("llama.embedding_length", dim);
    meta.put("llama.feed_forward_length", hidden);
    meta.put("llama.attention.head_count", c.heads());
    meta.put("llama.attention.head_count_kv", c.kvHeads());
    meta.put("llama.block_count", c.layers());
    meta.put("llama.rope.dimension_count", c.ropeDim());
    meta.put("llama.rope.freq_base", c.ropeTheta());
    meta.put("llama.attention.layer_norm_rms_epsilon", c.rmsEps());
    Vocabulary vocabulary = Vocabulary.of(c.vocabSize());
    String[] tokens = new String[c.vocabSize()];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = i == 1 ? "<s>" : i == 2 ? "</s>" : vocabulary.pieces()[i].replace(' ', '\u2581');
    }
    meta.put("tokenizer.ggml.model", "llama");
    meta.put("tokenizer.ggml.tokens", tokens);
    meta.put("tokenizer.ggml.scores", vocabulary.scores());
    meta.put("tokenizer.ggml.bos_token_id", 1);
    meta.put("tokenizer.ggml.eos_token_id", 2);

    List<Tensor> tensors = new ArrayList<>();
    tensors.add(
        new Tensor(
            "token_embd.weight",
            new long[] {dim, c.vocabSize()},
            types.of(QuantMix.Role.OUTPUT, 0, dim), // tied: it is the output matrix too
            Quantizer.encode(
                values("token_embd", c.vocabSize() * dim, dim),
                types.of(QuantMix.Role.OUTPUT, 0, dim))));
    tensors.add(
        new Tensor(
            "output_norm.weight",
            new long[] {dim},
            TensorType.F32,
            Quantizer.encode(values("output_norm", dim, dim), TensorType.F32)));
    for (int l = 0; l < c.layers(); l++) {
      String p = "blk." + l + ".";
      tensors.add(
          new Tensor(
              p + "attn_norm.weight",
              new long[] {dim},
              TensorType.F32,
              Quantizer.encode(values(p + "attn_norm", dim, dim), TensorType.F32)));
      tensors.add(matrix(p + "attn_q", dim, dim, types.of(QuantMix.Role.ATTN_Q, l, dim)));
      tensors.add(matrix(p + "attn_k", kvDim, dim, types.of(QuantMix.Role.ATTN_K, l, dim)));
      tensors.add(matrix(p + "attn_v", kvDim, dim, types.of(QuantMix.Role.ATTN_V, l, dim)));
      tensors.add(matrix(p + "attn_output", dim, dim, types.of(QuantMix.Role.ATTN_OUTPUT, l, dim)));
      tensors.add(
          new Tensor(
              p + "ffn_norm.weight",
              new long[] {dim},
              TensorType.F32,
              Quantizer.encode(values(p + "ffn_norm", dim, dim), TensorType.F32)));
      tensors.add(matrix(p + "ffn_gate", hidden, dim, types.of(QuantMix.Role.FFN_GATE, l, dim)));
      tensors.add(matrix(p + "ffn_down", dim, hidden, types.of(QuantMix.Role.FFN_DOWN, l, hidden)));
      tensors.add(matrix(p + "ffn_up", hidden, dim, types.of(QuantMix.Role.FFN_UP, l, dim)));
    }
    try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
      GgufWriter w = new GgufWriter(raw);
      w.header(tensors.size(), meta.size());
      for (Map.Entry<String, Object> e : meta.entrySet()) {
        w.keyValue(e.getKey(), e.getValue());
      }
      long offset = 0;
      for (Tensor t : tensors) {
        w.tensorInfo(t.name(), t.dims(), t.type().ggmlId(), offset);
        offset = GgufWriter.align(offset + t.data().length);
      }
      w.padToAlignment();
      for (Tensor t : tensors) {
        w.bytes(t.data());
        w.padToAlignment();
      }
    }
  }

  /** A tensor to write: dims in ggml order (contiguous dimension first). */
  private record Tensor(String name, long[] dims, TensorType type, byte[] data) {}

  private Tensor matrix(String name, int rows, int cols, TensorType type) {
    return new Tensor(
        name + ".weight",
        new long[] {cols, rows},
        type,
        Quantizer.encode(values(name, rows * cols, cols), type));
  }

  private static void writeInt(DataOutputStream out, int v) throws IOException {
    out.writeInt(Integer.reverseBytes(v));
  }

  private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    out.write(buffer.array());
  }
}
