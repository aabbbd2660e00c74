package dev.coemesh.pool.synthetic;

import dev.coemesh.pool.model.Architecture;
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

  /** Writes a Llama GGUF v3 file with every matrix in {@code matrixType} (norms stay F32). */
  public void writeGguf(Path path, TensorType matrixType) throws IOException {
    writeGguf(path, matrixType, Architecture.LLAMA, null, ChatMetadata.NONE);
  }

  /** A Llama GGUF file, as {@link #writeGguf(Path, TensorType)}, with chat metadata. */
  public void writeGguf(Path path, TensorType matrixType, ChatMetadata chat) throws IOException {
    writeGguf(path, matrixType, Architecture.LLAMA, null, chat);
  }

  /** A GGUF file of {@code arch}, as below, without chat metadata. */
  public void writeGguf(
      Path path, TensorType matrixType, Architecture arch, float[] ropeFreqFactors)
      throws IOException {
    writeGguf(path, matrixType, arch, ropeFreqFactors, ChatMetadata.NONE);
  }

  /**
   * Writes a GGUF v3 file of {@code arch} with every matrix in {@code matrixType}; see {@link
   * #writeGguf(Path, QuantMix, Architecture, float[], ChatMetadata)}.
   */
  public void writeGguf(
      Path path,
      TensorType matrixType,
      Architecture arch,
      float[] ropeFreqFactors,
      ChatMetadata chat)
      throws IOException {
    write(path, null, (role, layer, cols) -> matrixType, arch, ropeFreqFactors, chat);
  }

  /**
   * Writes a Llama GGUF v3 file laid out as llama.cpp's quantizer lays out {@code mix}: each matrix
   * in the type the mix gives its role, layer and row length, and {@code general.file_type} naming
   * the mix.
   */
  public void writeGguf(Path path, QuantMix mix) throws IOException {
    writeGguf(path, mix, Architecture.LLAMA, null, ChatMetadata.NONE);
  }

  /**
   * Writes a GGUF v3 file of {@code arch} laid out as {@code mix}; norms, biases and factors stay
   * F32. The tensors are those the architecture's files hold: Qwen2 adds random Q/K/V biases, Phi-3
   * fuses QKV and gate+up into one matrix each (the same values as the separate ones, stacked;
   * typed here as the mix types V and up, an approximation of llama.cpp's own rule for fused
   * matrices) and declares a sliding window as long as the context.
   *
   * @param ropeFreqFactors Llama 3.1-style {@code rope_freqs.weight} ([ropeDim/2]), or null
   * @param chat a chat template and the control tokens it writes, or {@link ChatMetadata#NONE}
   */
  public void writeGguf(
      Path path, QuantMix mix, Architecture arch, float[] ropeFreqFactors, ChatMetadata chat)
      throws IOException {
    int gqa = c.heads() / c.kvHeads();
    write(
        path,
        mix,
        (role, layer, cols) -> mix.typeOf(role, layer, c.layers(), cols, gqa),
        arch,
        ropeFreqFactors,
        chat);
  }

  /** Picks each matrix's type. */
  private interface TypeChoice {
    TensorType of(QuantMix.Role role, int layer, int cols);
  }

  private void write(
      Path path,
      QuantMix mix,
      TypeChoice types,
      Architecture arch,
      float[] ropeFreqFactors,
      ChatMetadata chat)
      throws IOException {
    if (c.ropeStyle() != arch.ropeStyle()) {
      throw new IllegalArgumentException(arch + " rotates " + arch.ropeStyle() + ", not " + c);
    }
    int dim = c.dim();
    int kvDim = c.kvDim();
    int hidden = c.hiddenDim();
    String a = arch.ggufName();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("general.architecture", a);
    meta.put("general.name", "synthetic");
    if (mix != null) {
      meta.put("general.file_type", mix.fileType());
    }
    meta.put(a + ".context_length", c.contextLength());
    meta.put(a + ".embedding_length", dim);
    meta.put(a + ".feed_forward_length", hidden);
    meta.put(a + ".attention.head_count", c.heads());
    meta.put(a + ".attention.head_count_kv", c.kvHeads());
    meta.put(a + ".block_count", c.layers());
    meta.put(a + ".rope.dimension_count", c.ropeDim());
    meta.put(a + ".rope.freq_base", c.ropeTheta());
    meta.put(a + ".attention.layer_norm_rms_epsilon", c.rmsEps());
    if (arch == Architecture.PHI3) {
      meta.put(a + ".attention.sliding_window", c.contextLength());
    }
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
    if (!chat.isNone()) {
      int first = tokens.length - chat.controlTokens().size();
      if (first < 259 + 95) { // unk, BOS, EOS, bytes, printable ASCII
        throw new IllegalArgumentException(
            "a vocabulary of " + tokens.length + " has no room for the control tokens");
      }
      int[] tokenTypes = new int[tokens.length];
      java.util.Arrays.fill(tokenTypes, 1); // NORMAL
      tokenTypes[0] = 2; // UNKNOWN
      tokenTypes[1] = 3; // CONTROL
      tokenTypes[2] = 3;
      for (int b = 0; b < 256; b++) {
        tokenTypes[3 + b] = 6; // BYTE
      }
      for (int i = 0; i < chat.controlTokens().size(); i++) {
        tokens[first + i] = chat.controlTokens().get(i);
        tokenTypes[first + i] = 3;
      }
      meta.put("tokenizer.ggml.token_type", tokenTypes);
      if (chat.template() != null) {
        meta.put("tokenizer.chat_template", chat.template());
      }
    }

    List<Tensor> tensors = new ArrayList<>();
    // without an output matrix of its own the embedding is tied: it is the output matrix too
    TensorType embedding =
        types.of(
            arch == Architecture.PHI3 ? QuantMix.Role.TOKEN_EMBEDDING : QuantMix.Role.OUTPUT,
            0,
            dim);
    tensors.add(
        new Tensor(
            "token_embd.weight",
            new long[] {dim, c.vocabSize()},
            embedding,
            Quantizer.encode(values("token_embd", c.vocabSize() * dim, dim), embedding)));
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
      if (arch == Architecture.PHI3) {
        tensors.add(
            fused(
                p + "attn_qkv",
                types.of(QuantMix.Role.ATTN_V, l, dim),
                new Part(p + "attn_q", dim),
                new Part(p + "attn_k", kvDim),
                new Part(p + "attn_v", kvDim)));
      } else {
        tensors.add(matrix(p + "attn_q", dim, dim, types.of(QuantMix.Role.ATTN_Q, l, dim)));
        tensors.add(matrix(p + "attn_k", kvDim, dim, types.of(QuantMix.Role.ATTN_K, l, dim)));
        tensors.add(matrix(p + "attn_v", kvDim, dim, types.of(QuantMix.Role.ATTN_V, l, dim)));
      }
      if (arch == Architecture.QWEN2) {
        tensors.add(bias(p + "attn_q", dim));
        tensors.add(bias(p + "attn_k", kvDim));
        tensors.add(bias(p + "attn_v", kvDim));
      }
      tensors.add(matrix(p + "attn_output", dim, dim, types.of(QuantMix.Role.ATTN_OUTPUT, l, dim)));
      tensors.add(
          new Tensor(
              p + "ffn_norm.weight",
              new long[] {dim},
              TensorType.F32,
              Quantizer.encode(values(p + "ffn_norm", dim, dim), TensorType.F32)));
      if (arch == Architecture.PHI3) {
        tensors.add(
            fused(
                p + "ffn_up",
                types.of(QuantMix.Role.FFN_UP, l, dim),
                new Part(p + "ffn_gate", hidden),
                new Part(p + "ffn_up", hidden)));
      } else {
        tensors.add(matrix(p + "ffn_gate", hidden, dim, types.of(QuantMix.Role.FFN_GATE, l, dim)));
        tensors.add(matrix(p + "ffn_up", hidden, dim, types.of(QuantMix.Role.FFN_UP, l, dim)));
      }
      tensors.add(matrix(p + "ffn_down", dim, hidden, types.of(QuantMix.Role.FFN_DOWN, l, hidden)));
    }
    if (arch == Architecture.PHI3) {
      tensors.add(matrix("output", c.vocabSize(), dim, types.of(QuantMix.Role.OUTPUT, 0, dim)));
    }
    if (ropeFreqFactors != null) {
      if (ropeFreqFactors.length != c.ropeDim() / 2) {
        throw new IllegalArgumentException("rope_freqs needs ropeDim/2 = " + c.ropeDim() / 2);
      }
      tensors.add(
          new Tensor(
              "rope_freqs.weight",
              new long[] {ropeFreqFactors.length},
              TensorType.F32,
              Quantizer.encode(ropeFreqFactors, TensorType.F32)));
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

  /** A bias vector: random, of the scale of a fan-in of {@code length}. */
  private Tensor bias(String name, int length) {
    return new Tensor(
        name + ".bias",
        new long[] {length},
        TensorType.F32,
        Quantizer.encode(values(name + ".bias", length, length), TensorType.F32));
  }

  /**
   * Rotary frequency divisors shaped like Llama 3.1's: 1 for the fastest frequencies rising to 8
   * for the slowest (a ramp here, where Llama 3.1 has a smooth step between two wavelengths).
   */
  public static float[] llama31FreqFactors(int ropeDim) {
    float[] factors = new float[ropeDim / 2];
    for (int i = 0; i < factors.length; i++) {
      factors[i] = 1f + 7f * i / Math.max(1, factors.length - 1);
    }
    return factors;
  }

  /** A block of rows of a fused matrix: the matrix it would be on its own. */
  private record Part(String name, int rows) {}

  /**
   * One matrix stacking the rows of its parts, each with the values it would have on its own, so a
   * fused file and a split one hold the same model.
   */
  private Tensor fused(String name, TensorType type, Part... parts) {
    int dim = c.dim();
    int rows = 0;
    for (Part part : parts) {
      rows += part.rows();
    }
    float[] all = new float[rows * dim];
    int at = 0;
    for (Part part : parts) {
      int n = part.rows() * dim;
      System.arraycopy(values(part.name(), n, dim), 0, all, at, n);
      at += n;
    }
    return new Tensor(name + ".weight", new long[] {dim, rows}, type, Quantizer.encode(all, type));
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
