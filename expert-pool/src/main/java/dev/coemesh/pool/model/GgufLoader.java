package dev.coemesh.pool.model;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.chat.JinjaChatFormat;
import dev.coemesh.pool.tokenizer.ByteLevelBpeTokenizer;
import dev.coemesh.pool.tokenizer.SentencePieceTokenizer;
import dev.coemesh.pool.tokenizer.SpecialTokens;
import dev.coemesh.pool.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds a {@link Model} from a GGUF file of a Llama-architecture model: shape from metadata (RoPE
 * dimension count and frequency base honoured), weights as views of the mapped file, output weights
 * separate or tied, the tokenizer from {@code tokenizer.ggml.*} (its control and user-defined
 * tokens found in text), and the chat format from {@code tokenizer.chat_template}.
 */
public final class GgufLoader {
  private static final Set<String> LLAMA_FAMILY = Set.of("llama", "mistral", "granite");

  private GgufLoader() {}

  public static Model load(Path path) {
    GgufFile gguf = GgufFile.read(path);
    String arch = gguf.string("general.architecture");
    if (!LLAMA_FAMILY.contains(arch)) {
      throw invalid(gguf, "has architecture '" + arch + "'; supported: " + LLAMA_FAMILY);
    }
    GgufFile.TensorInfo embedding = gguf.tensor("token_embd.weight");
    if (embedding.dims().length != 2 || embedding.dims()[1] > Integer.MAX_VALUE) {
      throw invalid(gguf, "tensor token_embd.weight has dims " + Arrays.toString(embedding.dims()));
    }
    int dim = int32(gguf, arch + ".embedding_length");
    int heads = int32(gguf, arch + ".attention.head_count");
    int kvHeads = int32(gguf, arch + ".attention.head_count_kv", heads);
    int layers = int32(gguf, arch + ".block_count");
    int hidden = int32(gguf, arch + ".feed_forward_length");
    int vocab = (int) embedding.dims()[1];
    int context = int32(gguf, arch + ".context_length");
    int headSize = dim / Math.max(1, heads);
    int ropeDim = int32(gguf, arch + ".rope.dimension_count", headSize);
    float theta = (float) gguf.real(arch + ".rope.freq_base", 10000);
    float eps = (float) gguf.real(arch + ".attention.layer_norm_rms_epsilon", 1e-5);
    ModelConfig config;
    try {
      config =
          new ModelConfig(dim, hidden, layers, heads, kvHeads, vocab, context, theta, ropeDim, eps);
    } catch (IllegalArgumentException e) {
      throw invalid(gguf, "has an impossible shape: " + e.getMessage());
    }

    if (layers > gguf.tensors().size() / 9) { // nine tensors a block
      throw invalid(
          gguf, "has " + layers + " blocks but only " + gguf.tensors().size() + " tensors");
    }
    List<LayerWeights> layerWeights = new ArrayList<>(layers);
    int kvDim = config.kvDim();
    for (int l = 0; l < layers; l++) {
      String p = "blk." + l + ".";
      layerWeights.add(
          new LayerWeights(
              vector(gguf, p + "attn_norm.weight", dim),
              matrix(gguf, p + "attn_q.weight", dim, dim),
              matrix(gguf, p + "attn_k.weight", kvDim, dim),
              matrix(gguf, p + "attn_v.weight", kvDim, dim),
              matrix(gguf, p + "attn_output.weight", dim, dim),
              vector(gguf, p + "ffn_norm.weight", dim),
              matrix(gguf, p + "ffn_gate.weight", hidden, dim),
              matrix(gguf, p + "ffn_down.weight", dim, hidden),
              matrix(gguf, p + "ffn_up.weight", hidden, dim)));
    }
    Weight tokenEmbedding = matrix(gguf, "token_embd.weight", vocab, dim);
    Weight output =
        gguf.tensors().containsKey("output.weight")
            ? matrix(gguf, "output.weight", vocab, dim)
            : tokenEmbedding;
    ModelWeights weights =
        new ModelWeights(
            tokenEmbedding, layerWeights, vector(gguf, "output_norm.weight", dim), output);
    Tokenizer tokenizer = tokenizer(gguf, vocab);
    ChatFormat chatFormat = chatFormat(gguf, tokenizer.bosId(), tokenizer.eosId());
    String name =
        gguf.metadata().get("general.name") instanceof String n && !n.isBlank()
            ? n
            : path.getFileName().toString().replaceFirst("\\.gguf$", "");
    return new Model(
        name,
        config,
        weights,
        tokenizer,
        new ModelFingerprint(MappedFile.fingerprint(gguf.bytes())),
        chatFormat);
  }

  private static MeshException invalid(GgufFile gguf, String what) {
    return new MeshException(ErrorCode.MODEL_FILE_INVALID, "GGUF " + gguf.path() + " " + what);
  }

  /** A shape value; the model's config rejects the ones that fit in 32 bits but are impossible. */
  private static int int32(GgufFile gguf, String key) {
    return int32(gguf, key, gguf.integer(key));
  }

  private static int int32(GgufFile gguf, String key, int fallback) {
    return int32(gguf, key, gguf.integer(key, fallback));
  }

  private static int int32(GgufFile gguf, String key, long value) {
    if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
      throw invalid(gguf, "has " + key + " " + value + ", beyond 32 bits");
    }
    return (int) value;
  }

  /** A special token's id, which must lie in the vocabulary (the engine embeds it). */
  private static int tokenId(GgufFile gguf, String key, int fallback, int vocab) {
    long id = gguf.integer(key, fallback);
    if (id < 0 || id >= vocab) {
      throw invalid(gguf, "has " + key + " " + id + " outside its vocabulary of " + vocab);
    }
    return (int) id;
  }

  private static Weight matrix(GgufFile gguf, String name, int rows, int cols) {
    GgufFile.TensorInfo t = gguf.tensor(name);
    long[] d = t.dims();
    if (d.length != 2 || d[0] != cols || d[1] != rows || cols % t.type().blockElements() != 0) {
      throw invalid(
          gguf,
          "tensor "
              + name
              + " has dims "
              + Arrays.toString(d)
              + " of "
              + t.type()
              + ", expected ["
              + cols
              + ", "
              + rows
              + "] in rows of whole "
              + t.type().blockElements()
              + "-value blocks");
    }
    return new Weight(name, t.type(), rows, cols, t.data());
  }

  private static float[] vector(GgufFile gguf, String name, int length) {
    GgufFile.TensorInfo t = gguf.tensor(name);
    if (t.elements() != length) {
      throw invalid(
          gguf, "tensor " + name + " has " + t.elements() + " values, expected " + length);
    }
    float[] out = new float[length];
    new Weight(name, t.type(), 1, length, t.data()).readRow(0, out, 0);
    return out;
  }

  /** Control, user-defined and unknown tokens by {@code tokenizer.ggml.token_type}, if given. */
  private static SpecialTokens specialTokens(GgufFile gguf, String[] tokens) {
    Object types = gguf.metadata().get("tokenizer.ggml.token_type");
    if (types == null) {
      return SpecialTokens.NONE;
    }
    if (!(types instanceof long[] t) || t.length != tokens.length) {
      throw invalid(gguf, "has a tokenizer.ggml.token_type that is not one integer per token");
    }
    return SpecialTokens.fromTypes(tokens, t);
  }

  /**
   * The model's chat format: its {@code tokenizer.chat_template} compiled with the texts of its BOS
   * and EOS tokens, or {@link ChatFormat#PLAIN} when the file has none.
   */
  static ChatFormat chatFormat(GgufFile gguf, int bos, int eos) {
    Object template = gguf.metadata().get("tokenizer.chat_template");
    if (template == null) {
      return ChatFormat.PLAIN;
    }
    if (!(template instanceof String source) || source.isBlank()) {
      throw invalid(gguf, "has a tokenizer.chat_template that is not a template");
    }
    String[] tokens = (String[]) gguf.metadata().get("tokenizer.ggml.tokens");
    try {
      return JinjaChatFormat.compile(source, tokens[bos], tokens[eos]);
    } catch (MeshException e) {
      throw invalid(gguf, "has a tokenizer.chat_template that cannot be used: " + e.getMessage());
    }
  }

  static Tokenizer tokenizer(GgufFile gguf, int vocab) {
    String kind = gguf.string("tokenizer.ggml.model");
    if (!(gguf.metadata().get("tokenizer.ggml.tokens") instanceof String[] tokens)) {
      throw invalid(gguf, "lacks tokenizer.ggml.tokens");
    }
    if (tokens.length != vocab) {
      throw invalid(gguf, "has " + tokens.length + " tokens but an embedding of " + vocab);
    }
    int bos = tokenId(gguf, "tokenizer.ggml.bos_token_id", 1, vocab);
    int eos = tokenId(gguf, "tokenizer.ggml.eos_token_id", 2, vocab);
    return switch (kind) {
      case "llama" -> {
        float[] scores =
            gguf.metadata().get("tokenizer.ggml.scores") instanceof float[] s
                ? s
                : new float[vocab];
        if (scores.length != vocab) {
          throw invalid(gguf, "has " + scores.length + " token scores for " + vocab + " tokens");
        }
        String[] pieces = new String[vocab];
        for (int i = 0; i < vocab; i++) {
          pieces[i] = tokens[i].replace('\u2581', ' ');
        }
        SentencePieceTokenizer tokenizer =
            new SentencePieceTokenizer(
                pieces, scores, bos, eos, false, specialTokens(gguf, tokens));
        String gap = tokenizer.byteFallbackGap();
        if (gap != null) {
          throw invalid(gguf, gap);
        }
        yield tokenizer;
      }
      case "gpt2" -> {
        List<String> merges =
            gguf.metadata().get("tokenizer.ggml.merges") instanceof String[] m
                ? List.of(m)
                : List.of();
        // the tokenizer falls back to single bytes for any text, so it needs all 256 of them
        Set<String> known = new HashSet<>(Arrays.asList(tokens));
        for (int b = 0; b < 256; b++) {
          if (!known.contains(ByteLevelBpeTokenizer.symbolsOf(new byte[] {(byte) b}))) {
            throw invalid(gguf, "has a byte-level vocabulary without a token for byte " + b);
          }
        }
        String pre = gguf.metadata().get("tokenizer.ggml.pre") instanceof String s ? s : "gpt2";
        Pattern split =
            pre.startsWith("llama")
                ? ByteLevelBpeTokenizer.LLAMA3_SPLIT
                : ByteLevelBpeTokenizer.GPT2_SPLIT;
        boolean addBos =
            !(gguf.metadata().get("tokenizer.ggml.add_bos_token") instanceof Boolean b) || b;
        yield new ByteLevelBpeTokenizer(
            tokens, merges, specialTokens(gguf, tokens), split, bos, eos, addBos);
      }
      default -> throw invalid(gguf, "uses tokenizer '" + kind + "'; supported: llama, gpt2");
    };
  }
}
