package dev.coemesh.pool.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.pool.chat.ChatFormat;
import dev.coemesh.pool.chat.ChatTurn;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.model.RopeStyle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./mesh synth --chat-template FILE --control-tokens A,B}, alone and with {@code --arch}.
 */
class WriteSyntheticModelTest {
  private static final String[] SMALL = {
    "--dim",
    "64",
    "--hidden",
    "96",
    "--layers",
    "1",
    "--heads",
    "4",
    "--vocab",
    "400",
    "--seq",
    "32"
  };

  private static String[] args(Path out, String... more) {
    String[] all = new String[SMALL.length + 2 + more.length];
    all[0] = "--out";
    all[1] = out.toString();
    System.arraycopy(SMALL, 0, all, 2, SMALL.length);
    System.arraycopy(more, 0, all, 2 + SMALL.length, more.length);
    return all;
  }

  @Test
  void aChatTemplateAndItsControlTokensAreWrittenIntoTheGguf(@TempDir Path dir) throws Exception {
    Path template = dir.resolve("chatml.jinja");
    Files.writeString(
        template,
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}\n");

    WriteSyntheticModel.main(
        args(
            dir.resolve("m"),
            "--chat-template",
            template.toString(),
            "--control-tokens",
            "<|im_start|>,<|im_end|>"));
    Model model = ModelLoader.load(dir.resolve("m/model.gguf"), null);

    assertEquals(
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
        model.chatFormat().render(List.of(new ChatTurn("user", "Hi")), true));
    int[] ids = model.tokenizer().encode("<|im_start|><|im_end|>", false);
    assertEquals(List.of(398, 399), List.of(ids[0], ids[1]));
  }

  @Test
  void anotherArchitectureKeepsItsChatTemplateAndControlTokens(@TempDir Path dir) throws Exception {
    Path template = dir.resolve("phi3.jinja");
    Files.writeString(
        template,
        "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}<|end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|assistant|>\n{% endif %}");

    WriteSyntheticModel.main(
        args(
            dir.resolve("m"),
            "--arch",
            "phi3",
            "--chat-template",
            template.toString(),
            "--control-tokens",
            "<|user|>,<|assistant|>,<|end|>"));
    Model model = ModelLoader.load(dir.resolve("m/model.gguf"), null);

    assertEquals(RopeStyle.HALVES, model.config().ropeStyle());
    assertEquals(
        "<|user|>\nHi<|end|>\n<|assistant|>\n",
        model.chatFormat().render(List.of(new ChatTurn("user", "Hi")), true));
    int[] ids = model.tokenizer().encode("<|user|><|assistant|><|end|>", false);
    assertEquals(List.of(397, 398, 399), List.of(ids[0], ids[1], ids[2]));
  }

  @Test
  void withoutATemplateTheModelIsPlain(@TempDir Path dir) throws Exception {
    WriteSyntheticModel.main(args(dir.resolve("m")));

    assertEquals(
        ChatFormat.PLAIN, ModelLoader.load(dir.resolve("m/model.gguf"), null).chatFormat());
  }
}
