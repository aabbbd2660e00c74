package dev.coemesh.pool.model;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.chat.JinjaChatFormat;
import dev.coemesh.pool.tokenizer.ByteLevelBpeTokenizer;
import dev.coemesh.pool.tokenizer.PreTokenizer;
import dev.coemesh.pool.tokenizer.SentencePieceTokenizer;
import dev.coemesh.pool.tokenizer.SpecialTokens;
import dev.coemesh.pool.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a {@link Model} from a GGUF file of a Llama-family model ({@link Architecture}): shape
 * from metadata (RoPE dimension count and frequency base honoured, the rotary style from the
 * architecture), weights as views of the mapped file (fused QKV and gate+up matrices split into row
 * views), optional Q/K/V biases, Llama 3.1's rotary frequency factors, output weights separate or
 * tied, the tokenizer from {@code tokenizer.ggml.*} (its pre-tokenizer, and its control and
 * user-defined tokens found in text), and the chat format from {@code tokenizer.chat_template}.
 *
 * <p>Anything the engine would compute differently from the model's own definition is refused with
 * MODEL_FILE_INVALID rather than run wrongly: an unknown architecture, a head width other than
 * embedding/heads, rotary scaling, LongRoPE factors, or any tensor the engine has no use for (an
 * output bias, say).
 */
public final class GgufLoader {
  private static final Set<String> GLOBAL_TENSORS =
      Set.of("token_embd.weight", "output_norm.weight", "output.weight", "rope_freqs.weight");
  private static final Set<String> BLOCK_TENSORS =
      Set.of(
          "attn_norm.weight",
          "attn_q.weight",
          "attn_k.weight",
          "attn_v.weight",
          "attn_q.bias",
          "attn_k.bias",
          "attn_v.bias",
          "attn_qkv.weight",
          "attn_output.weight",
          "ffn_norm.weight",
          "ffn_gate.weight",
          "ffn_up.weight",
          "ffn_down.weight");
  private static final Pattern BLOCK_TENSOR = Pattern.compile("blk\\.(\\d+)\\.(.+)");

  /** The fewest tensors a block can have (Phi-3's: two norms, QKV, output, gate+up, down). */
  private static final int MIN_TENSORS_PER_BLOCK = 6;

  private GgufLoader() {}

  public static Model load(Path path) {
    GgufFile gguf = GgufFile.read(path);
    String archName = gguf.string("general.architecture");
    Architecture architecture =
        Architecture.fromGguf(archName)
            .orElseThrow(
                () ->
                    invalid(
                        gguf,
                        "has unsupported architecture '"
                            + archName
                            + "'; supported: "
                            + Architecture.supportedNames()));
    GgufFile.TensorInfo embedding = gguf.tensor("token_embd.weight");
    if (embedding.dims().length != 2 || embedding.dims()[1] > Integer.MAX_VALUE) {
      throw invalid(gguf, "tensor token_embd.weight has dims " + Arrays.toString(embedding.dims()));
    }
    int vocab = (int) embedding.dims()[1];
    ModelConfig config = config(gguf, architecture, vocab);
    int dim = config.dim();
    int layers = config.layers();
    if (layers > gguf.tensors().size() / MIN_TENSORS_PER_BLOCK) {
      throw invalid(
          gguf, "has " + layers + " blocks but only " + gguf.tensors().size() + " tensors");
    }
    checkTensorNames(gguf, layers);
    List<LayerWeights> layerWeights = new ArrayList<>(layers);
    for (int l = 0; l < layers; l++) {
      layerWeights.add(layer(gguf, config, l));
    }
    Weight tokenEmbedding = matrix(gguf, "token_embd.weight", vocab, dim);
    Weight output =
        gguf.tensors().containsKey("output.weight")
            ? matrix(gguf, "output.weight", vocab, dim)
            : tokenEmbedding;
    float[] freqFactors =
        gguf.tensors().containsKey("rope_freqs.weight")
            ? vector(gguf, "rope_freqs.weight", config.ropeDim() / 2)
            : null;
    if (freqFactors != null) {
      for (float f : freqFactors) {
        if (!(f > 0) || Float.isInfinite(f)) { // each divides a rotary angle
          throw invalid(gguf, "has a rope_freqs.weight factor " + f + "; factors must be > 0");
        }
      }
    }
    ModelWeights weights =
        new ModelWeights(
            tokenEmbedding,
            layerWeights,
            vector(gguf, "output_norm.weight", dim),
            output,
            freqFactors);
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

  /**
   * The shape from the architecture's metadata keys, refusing what the engine would compute
   * differently: heads of another width than embedding/heads, rotary scaling. A sliding window
   * shorter than the context (Phi-3's) becomes the context, the longest the engine is exact for.
   */
  private static ModelConfig config(GgufFile gguf, Architecture architecture, int vocab) {
    String arch = architecture.ggufName();
    int dim = int32(gguf, arch + ".embedding_length");
    int heads = int32(gguf, arch + ".attention.head_count");
    int kvHeads = int32(gguf, arch + ".attention.head_count_kv", heads);
    int layers = int32(gguf, arch + ".block_count");
    int hidden = int32(gguf, arch + ".feed_forward_length");
    int context = int32(gguf, arch + ".context_length");
    int headSize = dim / Math.max(1, heads);
    for (String key : List.of(arch + ".attention.key_length", arch + ".attention.value_length")) {
      long width = gguf.integer(key, headSize);
      if (width != headSize) { // Gemma-style heads wider than dim/heads: Q would not be dim wide
        throw invalid(
            gguf,
            "has " + key + " " + width + "; supported: embedding_length/head_count = " + headSize);
      }
    }
    String scaling =
        gguf.metadata().get(arch + ".rope.scaling.type") instanceof String t ? t : "none";
    if (!scaling.equals("none") && gguf.real(arch + ".rope.scaling.factor", 1) != 1) {
      throw invalid(gguf, "has unsupported rope scaling '" + scaling + "'; supported: none");
    }
    // Phi-3's sliding window: positions past it would attend differently, so the engine stops
    // at the window (4k Phi-3 mini: 2047 of 4096), where every position still sees all before it.
    long window =
        gguf.integer(
            arch + ".attention.sliding_window",
            architecture == Architecture.PHI3 ? phi3DefaultWindow(layers, context) : 0);
    if (window > 0 && window < context) {
      context = (int) window;
    }
    int ropeDim = int32(gguf, arch + ".rope.dimension_count", headSize);
    float theta = (float) gguf.real(arch + ".rope.freq_base", 10000);
    float eps = (float) gguf.real(arch + ".attention.layer_norm_rms_epsilon", 1e-5);
    ModelConfig config;
    try {
      config =
          new ModelConfig(
              dim,
              hidden,
              layers,
              heads,
              kvHeads,
              vocab,
              context,
              theta,
              ropeDim,
              eps,
              architecture.ropeStyle());
    } catch (IllegalArgumentException e) {
      throw invalid(gguf, "has an impossible shape: " + e.getMessage());
    }
    return config;
  }

  /**
   * The window of Phi-3 files converted before GGUF had the key, as llama.cpp assumes it: 2047 for
   * the 4k-context mini (32 blocks) and medium (40 blocks); the 128k models' windows are longer
   * than their context, so none.
   */
  private static long phi3DefaultWindow(int layers, int context) {
    return (layers == 32 || layers == 40) && context == 4096 ? 2047 : 0;
  }

  /**
   * One block, from separate or fused matrices: {@code attn_qkv} is Q, K and V stacked by rows, and
   * an {@code ffn_up} of twice the hidden width without an {@code ffn_gate} is gate then up
   * (llama.cpp's SWIGLU split: the first half goes through SiLU).
   */
  private static LayerWeights layer(GgufFile gguf, ModelConfig c, int l) {
    String p = "blk." + l + ".";
    int dim = c.dim();
    int kvDim = c.kvDim();
    int hidden = c.hiddenDim();
    Weight wq;
    Weight wk;
    Weight wv;
    if (gguf.tensors().containsKey(p + "attn_qkv.weight")) {
      Weight qkv = matrix(gguf, p + "attn_qkv.weight", dim + 2 * kvDim, dim);
      wq = qkv.rows(p + "attn_qkv.weight[q]", 0, dim);
      wk = qkv.rows(p + "attn_qkv.weight[k]", dim, kvDim);
      wv = qkv.rows(p + "attn_qkv.weight[v]", dim + kvDim, kvDim);
    } else {
      wq = matrix(gguf, p + "attn_q.weight", dim, dim);
      wk = matrix(gguf, p + "attn_k.weight", kvDim, dim);
      wv = matrix(gguf, p + "attn_v.weight", kvDim, dim);
    }
    Weight gate;
    Weight up;
    if (gguf.tensors().containsKey(p + "ffn_gate.weight")) {
      gate = matrix(gguf, p + "ffn_gate.weight", hidden, dim);
      up = matrix(gguf, p + "ffn_up.weight", hidden, dim);
    } else {
      Weight gateUp = matrix(gguf, p + "ffn_up.weight", 2 * hidden, dim);
      gate = gateUp.rows(p + "ffn_up.weight[gate]", 0, hidden);
      up = gateUp.rows(p + "ffn_up.weight[up]", hidden, hidden);
    }
    return new LayerWeights(
        vector(gguf, p + "attn_norm.weight", dim),
        wq,
        wk,
        wv,
        matrix(gguf, p + "attn_output.weight", dim, dim),
        vector(gguf, p + "ffn_norm.weight", dim),
        gate,
        matrix(gguf, p + "ffn_down.weight", dim, hidden),
        up,
        optionalVector(gguf, p + "attn_q.bias", dim),
        optionalVector(gguf, p + "attn_k.bias", kvDim),
        optionalVector(gguf, p + "attn_v.bias", kvDim));
  }

  /** Refuses tensors the engine would ignore: ignoring a bias or a norm runs a different model. */
  private static void checkTensorNames(GgufFile gguf, int layers) {
    for (String name : gguf.tensors().keySet()) {
      Matcher m = BLOCK_TENSOR.matcher(name);
      boolean known =
          m.matches()
              ? BLOCK_TENSORS.contains(m.group(2))
                  && m.group(1).length() < 10
                  && Integer.parseInt(m.group(1)) < layers
              : GLOBAL_TENSORS.contains(name);
      if (!known) {
        throw invalid(
            gguf,
            "has unsupported tensor '"
                + name
                + "'; supported: "
                + new TreeSet<>(GLOBAL_TENSORS)
                + " and blk.N."
                + new TreeSet<>(BLOCK_TENSORS));
      }
    }
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

  private static float[] optionalVector(GgufFile gguf, String name, int length) {
    return gguf.tensors().containsKey(name) ? vector(gguf, name, length) : null;
  }

  /** Only the tokenizer of a GGUF file; vocabulary-only files (no tensors) load too. */
  public static Tokenizer tokenizer(Path path) {
    GgufFile gguf = GgufFile.read(path);
    int vocab =
        gguf.metadata().get("tokenizer.ggml.tokens") instanceof String[] tokens ? tokens.length : 0;
    return tokenizer(gguf, vocab);
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
        // llama.cpp's rule: a BPE file that names no pre-tokenizer gets its "default" one
        String pre = gguf.metadata().get("tokenizer.ggml.pre") instanceof String s ? s : "default";
        PreTokenizer preTokenizer =
            PreTokenizer.fromGguf(pre)
                .orElseThrow(
                    () ->
                        invalid(
                            gguf,
                            "has unsupported pre-tokenizer '"
                                + pre
                                + "'; supported: "
                                + PreTokenizer.supportedNames()));
        boolean addBos =
            !(gguf.metadata().get("tokenizer.ggml.add_bos_token") instanceof Boolean b) || b;
        yield new ByteLevelBpeTokenizer(
            tokens, merges, specialTokens(gguf, tokens), preTokenizer, bos, eos, addBos);
      }
      default -> throw invalid(gguf, "uses tokenizer '" + kind + "'; supported: llama, gpt2");
    };
  }
}
