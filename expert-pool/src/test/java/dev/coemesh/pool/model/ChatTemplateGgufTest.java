package dev.coemesh.pool.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.chat.ChatTurn;
import dev.coemesh.pool.chat.JinjaChatFormat;
import dev.coemesh.pool.synthetic.ChatMetadata;
import dev.coemesh.pool.synthetic.SyntheticModel;
import dev.coemesh.pool.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GGUF file's {@code tokenizer.chat_template} becomes the model's chat format, and the control
 * tokens the template writes tokenize to their ids (a synthetic SentencePiece vocabulary).
 */
class ChatTemplateGgufTest {
  /** 400 tokens: unk, BOS, EOS, 256 bytes, printable ASCII, fillers, then two control tokens. */
  private static final ModelConfig SMALL =
      new ModelConfig(64, 96, 2, 4, 2, 400, 64, 10000f, 16, 1e-5f);

  private static final int BOS = 1;
  private static final int IM_START = 398;
  private static final int IM_END = 399;
  private static final int NEWLINE = 3 + '\n'; // byte fallback <0x0A>

  private static final String CHATML =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
          + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
          + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

  @TempDir Path dir;

  private Model write(String name, ChatMetadata chat) throws IOException {
    Path path = dir.resolve(name);
    new SyntheticModel(SMALL, 3).writeGguf(path, TensorType.F32, chat);
    return ModelLoader.load(path, null);
  }

  /** The synthetic vocabulary's id of a printable ASCII character (one token each, no merges). */
  private static int[] chars(String s) {
    return s.chars().map(c -> 259 + c - ' ').toArray();
  }

  private static int[] ids(Object... parts) {
    return java.util.Arrays.stream(parts)
        .flatMapToInt(p -> p instanceof int[] a ? IntStream.of(a) : IntStream.of((Integer) p))
        .toArray();
  }

  @Test
  void modelsWithoutATemplateUseThePlainFormat() throws IOException {
    Model bin =
        ModelLoader.load(
            SharedModels.file(SharedModels.STORIES_260K_BIN),
            SharedModels.file(SharedModels.STORIES_260K_TOKENIZER));
    Model gguf = write("plain.gguf", ChatMetadata.NONE);

    assertSame(ChatFormat.PLAIN, bin.chatFormat());
    assertSame(ChatFormat.PLAIN, gguf.chatFormat());
  }

  @Test
  void theFilesTemplateRendersTheChatAndItsControlTokensTokenizeToTheirIds() throws IOException {
    Model model =
        write("chatml.gguf", new ChatMetadata(CHATML, List.of("<|im_start|>", "<|im_end|>")));
    Tokenizer tok = model.tokenizer();

    String prompt = model.chatFormat().render(List.of(new ChatTurn("user", "Hi")), true);

    assertTrue(model.chatFormat() instanceof JinjaChatFormat);
    assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", prompt);
    // As llama.cpp (src/llama-vocab.cpp): text after a special token gets the dummy-prefix space.
    assertArrayEquals(
        ids(
            BOS,
            IM_START,
            chars(" user"),
            NEWLINE,
            chars("Hi"),
            IM_END,
            chars(" "),
            NEWLINE,
            IM_START,
            chars(" assistant"),
            NEWLINE),
        tok.encode(prompt, true));
    assertEquals(0, tok.tokenBytes(BOS, IM_START).length);
  }

  @Test
  void aTemplateThatWritesTheBosTextGetsOneBos() throws IOException {
    String mistralV7 =
        "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
            + "{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif message['role'] =="
            + " 'assistant' %}{{ ' ' + message['content'] + eos_token }}{% endif %}{% endfor %}";
    Model model = write("v7.gguf", new ChatMetadata(mistralV7, List.of()));

    String prompt = model.chatFormat().render(List.of(new ChatTurn("user", "Hi")), true);
    int[] tokens = model.tokenizer().encode(prompt, true);

    assertEquals("<s>[INST] Hi[/INST]", prompt);
    assertArrayEquals(ids(BOS, chars(" [INST] Hi[/INST]")), tokens);
  }

  @Test
  void tokenTypesLeaveTextWithoutControlTokensAsItWas() throws IOException {
    Tokenizer typed =
        write("typed.gguf", new ChatMetadata(null, List.of("<|im_start|>", "<|im_end|>")))
            .tokenizer();
    Tokenizer untyped = write("untyped.gguf", ChatMetadata.NONE).tokenizer();
    String text = "Once upon a time, <b> [INST] said \"hi\" <|im_star naïve\n";

    assertArrayEquals(untyped.encode(text, true), typed.encode(text, true));
  }

  @Test
  void aTemplateThatCannotBeUsedFailsTheLoadWithATypedError() {
    MeshException e =
        assertThrows(
            MeshException.class,
            () -> write("broken.gguf", new ChatMetadata("{% for m in messages %}", List.of())));

    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(e.getMessage().contains("tokenizer.chat_template"), e.getMessage());
  }
}
