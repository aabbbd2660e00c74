package dev.coemesh.pool.model;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.pool.synthetic.QuantMix;
import dev.coemesh.pool.synthetic.SyntheticModel;
import dev.coemesh.testkit.ByteMutations;
import dev.coemesh.testkit.FuzzRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of the model file loaders through {@link ModelLoader#load}: the shared stories260K
 * files (GGUF, llama2.c checkpoint and tokenizer) and small quantized synthetic GGUFs (Q8_0, Q4_0,
 * F16 and the K-quant mixes Q4_K_M and Q2_K), mutated with a bias to their headers: bytes flipped,
 * files cut or extended, counts, lengths, dimensions, types and tensor offsets set to extreme
 * values, metadata strings replaced. Every case must end within its bound in a loaded model whose
 * tokenizer's ids lie in its vocabulary, or in {@code MODEL_FILE_INVALID}, and a rejection must not
 * allocate more than the files could describe ({@link FuzzRun}). {@code -Dmesh.fuzz.seed=N} replays
 * a run, {@code -Dmesh.fuzz.cases=N} sets its length.
 */
class ModelFileFuzzTest {
  private static final Duration CASE_BOUND = Duration.ofSeconds(5);
  private static final int LLAMA2C_HEADER = 28;

  @TempDir static Path dir;

  private static GgufSeed stories;
  private static List<GgufSeed> synthetic;
  private static byte[] bin;
  private static byte[] tokenizer;
  private static Path pristineBin;
  private static Path pristineTokenizer;

  @BeforeAll
  static void readSeeds() throws IOException {
    stories = GgufSeed.of("stories260K.gguf", read(SharedModels.STORIES_260K_GGUF));
    bin = read(SharedModels.STORIES_260K_BIN);
    tokenizer = read(SharedModels.STORIES_260K_TOKENIZER);
    pristineBin = Files.write(dir.resolve("pristine.bin"), bin);
    pristineTokenizer = Files.write(dir.resolve("pristine-tok.bin"), tokenizer);
    ModelConfig small = new ModelConfig(64, 96, 2, 4, 2, 300, 64, 10000f, 16, 1e-5f);
    synthetic = new ArrayList<>();
    for (TensorType type : List.of(TensorType.Q8_0, TensorType.Q4_0, TensorType.F16)) {
      Path path = dir.resolve("synthetic-" + type + ".gguf");
      new SyntheticModel(small, 5).writeGguf(path, type);
      synthetic.add(GgufSeed.of("synthetic " + type + ".gguf", Files.readAllBytes(path)));
    }
    // K-quant mixes need rows of whole 256-value super-blocks
    ModelConfig superBlocks = new ModelConfig(256, 512, 2, 4, 2, 300, 64, 10000f, 64, 1e-5f);
    for (QuantMix mix : List.of(QuantMix.Q4_K_M, QuantMix.Q2_K)) {
      Path path = dir.resolve("synthetic-" + mix + ".gguf");
      new SyntheticModel(superBlocks, 5).writeGguf(path, mix);
      synthetic.add(GgufSeed.of("synthetic " + mix + ".gguf", Files.readAllBytes(path)));
    }
  }

  private static byte[] read(String name) throws IOException {
    return Files.readAllBytes(SharedModels.file(name));
  }

  @Test
  void mutatedModelFilesLoadOrAreRejectedAsInvalid() {
    FuzzRun run =
        FuzzRun.start(
            "ModelFileFuzzTest",
            2000,
            CASE_BOUND,
            t -> t instanceof MeshException e && e.code() == ErrorCode.MODEL_FILE_INVALID);
    for (int i = 0; i < run.cases(); i++) {
      SplittableRandom r = run.random(i);
      StringBuilder what = new StringBuilder();
      Path model;
      Path tok = null;
      long inputBytes;
      int target = r.nextInt(20);
      if (target < 11) {
        GgufSeed seed = target < 8 ? stories : synthetic.get(r.nextInt(synthetic.size()));
        what.append(seed.name);
        model = write("case-" + i + ".gguf", seed.mutate(r, what));
        inputBytes = size(model);
      } else if (target < 16) {
        what.append("stories260K.bin");
        model = write("case-" + i + ".bin", mutateLlama2c(r, what));
        tok = pristineTokenizer;
        inputBytes = size(model) + tokenizer.length;
      } else {
        what.append("tok512.bin");
        model = pristineBin;
        tok = write("case-" + i + "-tok.bin", mutateTokenizer(r, what));
        inputBytes = bin.length + size(tok);
      }
      Path tokenizerPath = tok;
      String input = what.toString();
      run.check(i, inputBytes, input, () -> usable(ModelLoader.load(model, tokenizerPath)));
      delete(model.equals(pristineBin) ? tok : model);
    }
    run.finish();
  }

  /** A model that loads must encode text to ids of its vocabulary (BOS and byte fallback too). */
  private static Model usable(Model model) {
    int vocab = model.config().vocabSize();
    for (int id :
        model.tokenizer().encode("Once upon a time, Lily \u00e9\u4e16\ud83d\ude00", true)) {
      if (id < 0 || id >= vocab) {
        throw new AssertionError("loaded, but encodes to token " + id + " of " + vocab);
      }
    }
    return model;
  }

  /** The checkpoint with its header or weights mutated, or its shape changed consistently. */
  private static byte[] mutateLlama2c(SplittableRandom r, StringBuilder what) {
    byte[] b = bin.clone();
    int dim = (int) ByteMutations.get(b, 0, 4);
    int heads = (int) ByteMutations.get(b, 12, 4);
    int vocab = (int) ByteMutations.get(b, 20, 4);
    int seqLen = (int) ByteMutations.get(b, 24, 4);
    switch (r.nextInt(10)) {
      case 0 -> {
        // another context length, with the freq_cis table (the file's tail) resized to match
        int context = 1 + r.nextInt(2 * seqLen);
        ByteMutations.put(b, 24, 4, context);
        what.append(", context ").append(context);
        return Arrays.copyOf(b, b.length + (context - seqLen) * (dim / heads) * 4);
      }
      case 1 -> {
        // a separate classifier: negative vocab, and the wcls matrix appended
        ByteMutations.put(b, 20, 4, -vocab);
        what.append(", unshared classifier");
        return Arrays.copyOf(b, b.length + vocab * dim * 4);
      }
      default -> {}
    }
    int edits = 1 + r.nextInt(3);
    for (int e = 0; e < edits && b.length > 0; e++) {
      if (r.nextInt(3) == 0 && b.length >= LLAMA2C_HEADER) {
        int field = r.nextInt(7);
        long value = ByteMutations.extreme(r, 4, ByteMutations.get(b, 4 * field, 4));
        ByteMutations.put(b, 4 * field, 4, value);
        what.append(", header[").append(field).append("]=").append((int) value);
      } else {
        b = mutateBytes(b, 0, LLAMA2C_HEADER, r, what);
      }
    }
    return b;
  }

  /** The llama2.c tokenizer with its max length, a score, a length or a piece changed. */
  private static byte[] mutateTokenizer(SplittableRandom r, StringBuilder what) {
    byte[] b = tokenizer.clone();
    List<Integer> tokens = new ArrayList<>(); // offsets of each token's score
    for (int at = 4; at + 8 <= b.length; at += 8 + (int) ByteMutations.get(b, at + 4, 4)) {
      tokens.add(at);
    }
    int edits = 1 + r.nextInt(3);
    for (int e = 0; e < edits && b.length > 12; e++) {
      int token = tokens.get(r.nextInt(tokens.size()));
      if (token + 8 > b.length) {
        continue;
      }
      switch (r.nextInt(6)) {
        case 0 -> {
          long value = ByteMutations.extreme(r, 4, ByteMutations.get(b, 0, 4));
          ByteMutations.put(b, 0, 4, value);
          what.append(", max length ").append((int) value);
        }
        case 1 -> {
          float score =
              switch (r.nextInt(4)) {
                case 0 -> Float.NaN;
                case 1 -> Float.NEGATIVE_INFINITY;
                case 2 -> Float.POSITIVE_INFINITY;
                default -> (float) r.nextGaussian() * 100;
              };
          ByteMutations.put(b, token, 4, Float.floatToRawIntBits(score));
          what.append(", score@").append(token).append('=').append(score);
        }
        case 2 -> {
          long value = ByteMutations.extreme(r, 4, ByteMutations.get(b, token + 4, 4));
          ByteMutations.put(b, token + 4, 4, value);
          what.append(", length@").append(token + 4).append('=').append((int) value);
        }
        case 3 -> {
          // a new piece with a consistent length: another valid vocabulary
          int length = (int) ByteMutations.get(b, token + 4, 4);
          if (length < 0 || token + 8 + length > b.length) {
            continue;
          }
          byte[] piece = ByteMutations.random(r, r.nextInt(12));
          byte[] entry = new byte[4 + piece.length];
          ByteMutations.put(entry, 0, 4, piece.length);
          System.arraycopy(piece, 0, entry, 4, piece.length);
          b = ByteMutations.splice(b, token + 4, token + 8 + length, entry);
          what.append(", piece@")
              .append(token)
              .append(" of ")
              .append(piece.length)
              .append(" bytes");
          return b;
        }
        default -> b = mutateBytes(b, 0, b.length, r, what);
      }
    }
    return b;
  }

  /** A flip, an overwrite, a cut, garbage appended, or a byte removed or inserted. */
  static byte[] mutateBytes(
      byte[] bytes, int from, int hotEnd, SplittableRandom r, StringBuilder what) {
    return ByteMutations.edit(bytes, from, hotEnd, r, new ByteMutations.EditMix(4, 3, 256), what);
  }

  private static Path write(String name, byte[] bytes) {
    try {
      return Files.write(dir.resolve(name), bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long size(Path path) {
    try {
      return Files.size(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path path) {
    try {
      Files.deleteIfExists(path); // a mapping of it lives on until collected
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A valid GGUF file and where its fields sit, from a walk of its header (metadata and tensor
   * directory), so that mutations can aim at the counts, lengths, types, dimensions and offsets a
   * reader must not trust.
   */
  private record GgufSeed(
      String name, byte[] bytes, List<Field> fields, List<Field> strings, int headerEnd) {
    private static final int ALIGNMENT = 32;
    private static final int[] SCALAR_BYTES = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

    /** A field of {@code width} bytes at {@code at}; {@code kind} groups fields of one meaning. */
    record Field(String kind, int at, int width) {}

    static GgufSeed of(String name, byte[] bytes) {
      List<Field> fields = new ArrayList<>();
      List<Field> strings = new ArrayList<>();
      int[] at = {24};
      fields.add(new Field("tensor count", 8, 8));
      fields.add(new Field("metadata count", 16, 8));
      long tensors = ByteMutations.get(bytes, 8, 8);
      long keyValues = ByteMutations.get(bytes, 16, 8);
      for (long kv = 0; kv < keyValues; kv++) {
        string(bytes, at, fields, "key length");
        int type = (int) ByteMutations.get(bytes, at[0], 4);
        fields.add(new Field("value type", at[0], 4));
        at[0] += 4;
        if (type == 8) {
          strings.add(new Field("string value", at[0], 8));
          string(bytes, at, fields, "string length");
        } else if (type == 9) {
          int elementType = (int) ByteMutations.get(bytes, at[0], 4);
          fields.add(new Field("element type", at[0], 4));
          long n = ByteMutations.get(bytes, at[0] + 4, 8);
          fields.add(new Field("array length", at[0] + 4, 8));
          at[0] += 12;
          for (long e = 0; e < n; e++) {
            if (elementType == 8) {
              string(bytes, at, fields, "element string length");
            } else {
              at[0] += SCALAR_BYTES[elementType];
            }
          }
        } else {
          fields.add(new Field("value", at[0], SCALAR_BYTES[type]));
          at[0] += SCALAR_BYTES[type];
        }
      }
      for (long t = 0; t < tensors; t++) {
        strings.add(new Field("tensor name", at[0], 8));
        string(bytes, at, fields, "tensor name length");
        int dims = (int) ByteMutations.get(bytes, at[0], 4);
        fields.add(new Field("dimension count", at[0], 4));
        at[0] += 4;
        for (int d = 0; d < dims; d++) {
          fields.add(new Field("dimension", at[0], 8));
          at[0] += 8;
        }
        fields.add(new Field("tensor type", at[0], 4));
        fields.add(new Field("tensor offset", at[0] + 4, 8));
        at[0] += 12;
      }
      return new GgufSeed(name, bytes, fields, strings, at[0]);
    }

    private static void string(byte[] bytes, int[] at, List<Field> fields, String kind) {
      fields.add(new Field(kind, at[0], 8));
      at[0] += 8 + (int) ByteMutations.get(bytes, at[0], 8);
    }

    byte[] mutate(SplittableRandom r, StringBuilder what) {
      byte[] b = bytes.clone();
      if (r.nextInt(50) == 0) {
        byte[] random =
            r.nextBoolean() ? new byte[b.length] : ByteMutations.random(r, r.nextInt(4096));
        if (random.length >= 8 && r.nextBoolean()) {
          System.arraycopy(b, 0, random, 0, 8); // magic and version: reach the counts
        }
        what.append(", replaced by ").append(random.length).append(" other bytes");
        return random;
      }
      if (r.nextInt(8) == 0) {
        return replaceString(b, r, what);
      }
      int edits = 1 + r.nextInt(3);
      for (int e = 0; e < edits && b.length > 4; e++) {
        if (r.nextInt(2) == 0) {
          setField(b, r, what);
        } else {
          b = mutateBytes(b, r.nextInt(40) == 0 ? 0 : 4, headerEnd, r, what);
        }
      }
      return b;
    }

    /** A field of a kind chosen uniformly (there are 512 token lengths but one tensor count). */
    private void setField(byte[] b, SplittableRandom r, StringBuilder what) {
      List<String> kinds = fields.stream().map(Field::kind).distinct().toList();
      String kind = kinds.get(r.nextInt(kinds.size()));
      List<Field> ofKind = fields.stream().filter(f -> f.kind.equals(kind)).toList();
      Field f = ofKind.get(r.nextInt(ofKind.size()));
      if (f.at + f.width > b.length) {
        return;
      }
      long value =
          kind.equals("tensor type") && r.nextBoolean()
              ? TensorType.values()[r.nextInt(TensorType.values().length)].ggmlId()
              : ByteMutations.extreme(r, f.width, ByteMutations.get(b, f.at, f.width));
      ByteMutations.put(b, f.at, f.width, value);
      what.append(", ").append(kind).append('@').append(f.at).append('=').append(value);
    }

    /**
     * A metadata string value or tensor name replaced (another tokenizer kind or architecture, an
     * empty or odd name), the tensor data moved to stay aligned after the longer or shorter header.
     */
    private byte[] replaceString(byte[] b, SplittableRandom r, StringBuilder what) {
      Field f = strings.get(r.nextInt(strings.size()));
      String[] candidates = {"gpt2", "llama", "mistral", "granite", "", "blk.0.attn_q.weight"};
      String text =
          r.nextInt(4) == 0
              ? new String(ByteMutations.random(r, r.nextInt(9)), StandardCharsets.ISO_8859_1)
              : candidates[r.nextInt(candidates.length)];
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      byte[] entry = new byte[8 + utf8.length];
      ByteMutations.put(entry, 0, 8, utf8.length);
      System.arraycopy(utf8, 0, entry, 8, utf8.length);
      int end = f.at + 8 + (int) ByteMutations.get(b, f.at, 8);
      byte[] header = ByteMutations.splice(Arrays.copyOf(b, headerEnd), f.at, end, entry);
      int dataStart = align(headerEnd);
      byte[] out = Arrays.copyOf(header, align(header.length) + b.length - dataStart);
      System.arraycopy(b, dataStart, out, align(header.length), b.length - dataStart);
      what.append(", ")
          .append(f.kind)
          .append('@')
          .append(f.at)
          .append("='")
          .append(text)
          .append('\'');
      return out;
    }

    private static int align(int offset) {
      return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
  }
}
