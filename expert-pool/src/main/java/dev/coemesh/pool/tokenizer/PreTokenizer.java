package dev.coemesh.pool.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The pre-tokenizer of a byte-level BPE vocabulary (GGUF {@code tokenizer.ggml.pre}): the regexes
 * that cut text into the pieces BPE merges within. The regexes are llama.cpp's
 * (src/llama-vocab.cpp, commit c392e50), which are those of the models' own {@code tokenizer.json}
 * adapted to one regex engine; so is the way a list of them applies: each regex cuts every piece
 * the previous ones left, and the text between two matches stays a piece of its own.
 *
 * <p>Java's regex engine runs them with {@link Pattern#UNICODE_CHARACTER_CLASS}, so that {@code \s}
 * is Unicode's White_Space, as in llama.cpp (whose {@code \p{L}}, {@code \p{N}}, {@code \p{P}} are
 * the Unicode general categories, like Java's). {@code $} in llama.cpp's std::regex is the end of
 * the piece and is written {@code \z} here (Java's {@code $} also matches before a final line
 * break). Where llama.cpp replaces a regex with hand-written code (GPT-2's and Llama 3's), the code
 * implements the published regex, GPT-2's with the {@code |\s+} tail it has in tokenizer.json.
 * Known gap: code points that Unicode leaves unassigned are symbols here, nothing in llama.cpp's
 * hand-written splitters.
 */
public enum PreTokenizer {
  /** llama.cpp's fallback for BPE files that name no pre-tokenizer, or "default". */
  DEFAULT(
      Set.of("default"),
      false,
      "[\\p{P}\\$\\+<=>\\^~\\|]+",
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
      "\\p{N}+",
      "[0-9][0-9][0-9]"),
  /** GPT-2 (and Phi-2, RoBERTa, MPT, OLMo): contractions, letters, digits, symbols, spaces. */
  GPT2(
      Set.of("gpt-2", "gpt2", "phi-2", "roberta-bpe", "mpt", "olmo"),
      false,
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"),
  /**
   * Llama 3: case-insensitive contractions, one non-letter may lead a word, digits in threes. A
   * piece that is a token as a whole is taken as that token without merging (llama.cpp's {@code
   * ignore_merges}, from the Hugging Face tokenizer's setting).
   */
  LLAMA3(
      Set.of("llama-bpe", "llama3", "llama-v3", "falcon3"),
      true,
      "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
  /** Qwen2 and Qwen2.5: Llama 3's regex with single digits. */
  QWEN2(
      Set.of("qwen2", "deepseek-r1-qwen", "megrez", "stablelm2"),
      false,
      "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
  /** DeepSeek LLM: line breaks alone, cased-script letters, ASCII and CJK punctuation, CJK runs. */
  DEEPSEEK_LLM(
      Set.of("deepseek-llm"),
      false,
      "[\r\n]",
      Regexes.DEEPSEEK_LETTERS,
      Regexes.DEEPSEEK_PUNCTUATION,
      "\\s+\\z",
      Regexes.CJK,
      "\\p{N}+"),
  /** DeepSeek Coder: line breaks alone, letters, punctuation, CJK runs, single digits. */
  DEEPSEEK_CODER(
      Set.of("deepseek-coder"),
      false,
      "[\r\n]",
      "\\s?\\p{L}+",
      "\\s?\\p{P}+",
      Regexes.CJK,
      "\\p{N}");

  private final Set<String> ggufNames;
  private final boolean wholePieceTokens;
  private final List<Pattern> patterns;

  PreTokenizer(Set<String> ggufNames, boolean wholePieceTokens, String... regexes) {
    this.ggufNames = ggufNames;
    this.wholePieceTokens = wholePieceTokens;
    this.patterns =
        Arrays.stream(regexes)
            .map(r -> Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS))
            .toList();
  }

  /** The pre-tokenizer a GGUF file names; a BPE file without the key gets {@link #DEFAULT}. */
  public static Optional<PreTokenizer> fromGguf(String name) {
    return Arrays.stream(values()).filter(p -> p.ggufNames.contains(name)).findFirst();
  }

  /** The GGUF names accepted, sorted, for errors that say what is supported. */
  public static String supportedNames() {
    return Arrays.stream(values())
        .flatMap(p -> p.ggufNames.stream())
        .sorted()
        .collect(Collectors.joining(", "));
  }

  /** Whether a piece that is itself a token skips merging (Llama 3's {@code ignore_merges}). */
  public boolean wholePieceTokens() {
    return wholePieceTokens;
  }

  /** The regexes, applied in order. */
  List<Pattern> patterns() {
    return patterns;
  }

  /** The single regex of a one-regex pre-tokenizer (GPT-2, Llama 3, Qwen2). */
  public Pattern pattern() {
    if (patterns.size() != 1) {
      throw new IllegalStateException(this + " applies " + patterns.size() + " regexes");
    }
    return patterns.getFirst();
  }

  /** Cuts {@code text} into pieces, in order; their concatenation is the text. */
  public List<String> split(String text) {
    return split(text, patterns);
  }

  /** Applies each regex to every piece the previous ones left, keeping unmatched text as pieces. */
  static List<String> split(String text, List<Pattern> patterns) {
    List<String> pieces = List.of(text);
    for (Pattern pattern : patterns) {
      List<String> next = new ArrayList<>(pieces.size() * 2);
      for (String piece : pieces) {
        Matcher m = pattern.matcher(piece);
        int end = 0;
        while (m.find()) {
          if (m.start() > end) {
            next.add(piece.substring(end, m.start()));
          }
          if (m.end() > m.start()) {
            next.add(m.group());
          }
          end = m.end();
        }
        if (end < piece.length()) {
          next.add(piece.substring(end));
        }
      }
      pieces = next;
    }
    return pieces;
  }

  /** DeepSeek's long regexes, apart so that the list above stays legible. */
  private static final class Regexes {
    /** Letters of cased scripts (Latin, Greek, Cyrillic, Armenian, Georgian, Cherokee...). */
    static final String DEEPSEEK_LETTERS =
        "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";

    /** ASCII punctuation and symbols, their full-width forms, quotes, CJK punctuation. */
    static final String DEEPSEEK_PUNCTUATION = "\\s?[!-/:-~！-／：-～‘-‟\u3000-。]+";

    /** CJK ideographs, and everything from U+0800 up to them, and Hangul. */
    static final String CJK = "[一-龥ࠀ-一가-\ud7ff]+";
  }
}
