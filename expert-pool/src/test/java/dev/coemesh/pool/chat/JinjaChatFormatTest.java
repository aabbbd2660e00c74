package dev.coemesh.pool.chat;

import static dev.coemesh.pool.chat.LlamaCppRenderingsTest.CONVERSATION;
import static dev.coemesh.pool.chat.LlamaCppRenderingsTest.asLlamaCppPrompt;
import static dev.coemesh.pool.chat.LlamaCppRenderingsTest.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JinjaChatFormatTest {
  private static final String CHATML =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
          + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
          + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

  private static String published(String caseName) {
    return LlamaCppRenderingsTest.cases().stream()
        .filter(c -> c.name().equals(caseName))
        .findFirst()
        .orElseThrow()
        .expected();
  }

  static Stream<Arguments> fullTemplates() {
    return Stream.of(
        Arguments.of(
            "Qwen-Qwen2.5-7B-Instruct.jinja",
            "",
            "<|im_end|>",
            "teknium/OpenHermes-2.5-Mistral-7B"),
        Arguments.of("google-gemma-2-2b-it.jinja", "<bos>", "<eos>", "google/gemma-7b-it"),
        Arguments.of("microsoft-Phi-3.5-mini-instruct.jinja", "", "<|endoftext|>", "Phi-3-small"));
  }

  @ParameterizedTest(name = "{0} renders as the published {3} case")
  @MethodSource("fullTemplates")
  void fullTemplatesRenderThePublishedStringOfTheirFormat(
      String file, String bos, String eos, String caseName) {
    JinjaChatFormat format = JinjaChatFormat.compile(text(file), bos, eos);

    String rendered = format.render(CONVERSATION, true);

    assertTrue(rendered.startsWith(bos), rendered);
    assertEquals(published(caseName), asLlamaCppPrompt(rendered, bos, eos));
  }

  /** Written from the template's text (llama.cpp publishes no rendering of this one). */
  @Test
  void deepSeekR1DistillOpensTheAssistantTurnWithThink() {
    JinjaChatFormat format =
        JinjaChatFormat.compile(
            text("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja"),
            "<｜begin▁of▁sentence｜>",
            "<｜end▁of▁sentence｜>");

    assertEquals(
        "<｜begin▁of▁sentence｜>You are a helpful assistant<｜User｜>Hello<｜Assistant｜>Hi there"
            + "<｜end▁of▁sentence｜><｜User｜>Who are you<｜Assistant｜>   I am an assistant   "
            + "<｜end▁of▁sentence｜><｜User｜>Another question<｜Assistant｜><think>\n",
        format.render(CONVERSATION, true));
    // Python's str.split: an earlier answer keeps only the text after its reasoning
    assertEquals(
        "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello.<｜end▁of▁sentence｜>",
        format.render(
            List.of(
                new ChatTurn("user", "Hi"),
                new ChatTurn("assistant", "<think>a|b</think>\n</think>Hello.")),
            false));
  }

  /** Written from the template's text: {@code strftime_now} is defined and reads the clock. */
  @Test
  void llama32DatesTheSystemHeaderWithStrftimeNow() {
    Clock clock = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);
    JinjaChatFormat format =
        JinjaChatFormat.compile(
            text("meta-llama-Llama-3.2-3B-Instruct.jinja"),
            "<|begin_of_text|>",
            "<|eot_id|>",
            RenderLimits.DEFAULT,
            clock);

    assertEquals(
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 07 Dec 2026\n\n"
            + "You are a helpful assistant<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
        format.render(CONVERSATION, true));
  }

  @Test
  void theGenerationPromptIsAddedOnlyWhenAskedFor() {
    JinjaChatFormat format = JinjaChatFormat.compile(CHATML, "", "");
    List<ChatTurn> turns = List.of(new ChatTurn("user", "Hello"));

    assertEquals("<|im_start|>user\nHello<|im_end|>\n", format.render(turns, false));
    assertEquals(
        "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", format.render(turns, true));
  }

  @Test
  void aTemplatesRaiseIsTheClientsInvalidRequestWithTheTemplatesMessage() {
    JinjaChatFormat mistral =
        JinjaChatFormat.compile(
            text("google-gemma-2-2b-it.jinja").replace("gemma", "x"), "<s>", "</s>");
    List<ChatTurn> twoUsers = List.of(new ChatTurn("user", "a"), new ChatTurn("user", "b"));

    MeshException e = assertThrows(MeshException.class, () -> mistral.render(twoUsers, true));

    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    assertEquals("messages", e.param());
    assertEquals(
        "Conversation roles must alternate user/assistant/user/assistant/...", e.getMessage());
  }

  @Test
  void mistralV3RefusesRolesThatDoNotAlternate() {
    String template =
        LlamaCppRenderingsTest.cases().stream()
            .filter(c -> c.name().startsWith("Mistral-Nemo-Instruct-2407"))
            .findFirst()
            .orElseThrow()
            .template();
    JinjaChatFormat format = JinjaChatFormat.compile(template, "<s>", "</s>");
    List<ChatTurn> turns =
        List.of(
            new ChatTurn("system", "s"),
            new ChatTurn("user", "a"),
            new ChatTurn("assistant", "b"),
            new ChatTurn("assistant", "c"));

    MeshException e = assertThrows(MeshException.class, () -> format.render(turns, true));

    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    assertEquals(
        "After the optional system message, conversation roles must alternate"
            + " user/assistant/user/assistant/...",
        e.getMessage());
  }

  @Test
  void systemTurnsAreFoldedIntoTheNextUserTurnOnlyForTemplatesWithoutASystemRole() {
    JinjaChatFormat gemma = JinjaChatFormat.compile(text("google-gemma-2-2b-it.jinja"), "", "");
    JinjaChatFormat chatml = JinjaChatFormat.compile(CHATML, "", "");

    assertFalse(gemma.supportsSystemRole());
    assertTrue(chatml.supportsSystemRole());
    assertEquals(
        List.of(new ChatTurn("user", "s1\ns2\nhi"), new ChatTurn("assistant", "x")),
        SystemTurns.foldIntoUserTurns(
            List.of(
                new ChatTurn("system", "s1"),
                new ChatTurn("system", "s2"),
                new ChatTurn("user", "hi"),
                new ChatTurn("assistant", "x"))));
    assertEquals(
        List.of(new ChatTurn("user", "s"), new ChatTurn("assistant", "x")),
        SystemTurns.foldIntoUserTurns(
            List.of(new ChatTurn("system", "s"), new ChatTurn("assistant", "x"))));
  }

  @Test
  void namesReachTheTemplateOnlyWhenSet() {
    JinjaChatFormat format =
        JinjaChatFormat.compile(
            "{% for m in messages %}{{ m.role }}{% if m.name is defined %}({{ m.name }}){% endif %}"
                + ";{% endfor %}",
            "", "");

    assertEquals(
        "user(Ann);assistant;",
        format.render(
            List.of(new ChatTurn("user", "a", "Ann"), new ChatTurn("assistant", "b")), false));
  }

  static Stream<Arguments> pythonisms() {
    return Stream.of(
        Arguments.of("{{ '  a b  '.strip() }}", "a b"),
        Arguments.of("{{ 'xxaxx'.strip('x') }}{{ '  a'.lstrip() }}{{ 'a  '.rstrip() }}", "aaa"),
        Arguments.of("{{ 'a</think>b</think>c'.split('</think>')[-1] }}", "c"),
        Arguments.of("{{ 'a|b||'.split('|') | length }}", "4"),
        Arguments.of("{{ ' a  b '.split() | join(',') }}", "a,b"),
        Arguments.of("{{ 'user'.title() }} {{ 'hello world'.title() }}", "User Hello World"),
        Arguments.of(
            "{{ '<think>x'.startswith('<think>') }} {{ 'x'.endswith('y') }}", "true false"),
        Arguments.of("{{ ', '.join(['a', 'b']) }}", "a, b"),
        Arguments.of("{{ 'aaa'.replace('a', 'b', 2) }}", "bba"),
        Arguments.of(
            "{% set ns = namespace(found=false) %}{% set ns.found = true %}{{ ns.found }}", "true"),
        Arguments.of(
            "{% for x in ['a','b','c'] %}{% if loop.first %}[{% endif %}{{ x }}"
                + "{% if loop.last %}]{% endif %}{% endfor %}",
            "[abc]"),
        Arguments.of(
            "{{ messages[0]['content'] | trim }}{{ messages[0].content | length }}", "hi4"),
        Arguments.of("{{ undefined_thing is defined }} {{ messages is defined }}", "false true"),
        Arguments.of(
            "{% for k, v in {'a': 1, 'return': 2, 'b': 3}.items() if k != 'return' %}"
                + "{{ loop.index }}{{ k }}={{ v }}{{ ',' if not loop.last }}{% endfor %}",
            "1a=1,2b=3"),
        Arguments.of(
            "{% for m in messages if m.role == 'user' %}{{ m.content | trim }}"
                + "{{ loop.length }}{% endfor %}|{% for x in ['if', 'b'] %}{{ x }}{% endfor %}",
            "hi1|ifb"),
        Arguments.of(
            "{% set v = {'a': [1, 'é'], 'b': none, 'c': true} %}{{ v | tojson }}",
            "{\"a\": [1, \"é\"], \"b\": null, \"c\": true}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pythonisms")
  void pythonIsmsOfChatTemplatesWork(String template, String expected) {
    JinjaChatFormat format = JinjaChatFormat.compile(template, "", "");

    assertEquals(expected, format.render(List.of(new ChatTurn("user", " hi ")), false));
  }

  @Test
  void tojsonIndentsAsPythonDoes() {
    JinjaChatFormat format =
        JinjaChatFormat.compile(
            "{% set v = {'a': [1, 2], 'b': {} } %}{{ v | tojson(indent=2) }}", "", "");

    assertEquals(
        "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}",
        format.render(List.of(new ChatTurn("user", "x")), false));
  }

  @Test
  void aTemplateThatDoesNotParseIsAnInvalidModelFile() {
    MeshException e =
        assertThrows(
            MeshException.class,
            () -> JinjaChatFormat.compile("{% for m in messages %}{{ m.content }}", "", ""));

    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
  }

  /**
   * Loops that never end in practice: stopped by the node count (deterministic, whatever the
   * machine's speed).
   */
  @Test
  void aHostileLoopFailsBoundedAtRender() {
    String hostile =
        "{% if messages | length > 1 %}{% for a in range(1000) %}{% for b in range(1000) %}"
            + "{% for c in range(1000) %}{{ a }}{% endfor %}{% endfor %}{% endfor %}{% endif %}ok";
    RenderLimits limits = new RenderLimits(1 << 24, 50_000, Duration.ofSeconds(30), 10_000);
    JinjaChatFormat format = JinjaChatFormat.compile(hostile, "", "", limits, Clock.systemUTC());
    List<ChatTurn> two = List.of(new ChatTurn("user", "a"), new ChatTurn("assistant", "b"));

    MeshException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () -> assertThrows(MeshException.class, () -> format.render(two, false)));

    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertEquals(
        "the model's chat template exceeded its render limits: visited more than 50000 template"
            + " nodes",
        e.getMessage());
  }

  /** Loops with empty bodies visit few nodes: the time bound stops them. */
  @Test
  void aHostileLoopWithoutOutputFailsOnTheTimeBound() {
    String hostile =
        "{% if messages | length > 1 %}{% for a in range(1000) %}{% for b in range(1000) %}"
            + "{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}{% endif %}ok";
    RenderLimits limits = new RenderLimits(1 << 20, 100_000_000, Duration.ofMillis(200), 10_000);
    JinjaChatFormat format = JinjaChatFormat.compile(hostile, "", "", limits, Clock.systemUTC());
    List<ChatTurn> two = List.of(new ChatTurn("user", "a"), new ChatTurn("assistant", "b"));

    MeshException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () -> assertThrows(MeshException.class, () -> format.render(two, false)));

    assertTrue(e.getMessage().contains("ran longer than 200 ms"), e.getMessage());
  }

  @Test
  void hugeOutputFailsBoundedAndAtCompileWhenEveryConversationTriggersIt() {
    String doubling =
        "{% set s = 'xxxxxxxxxx' %}{% for i in range(60) %}{% set s = s + s %}{% endfor %}{{ s }}";

    MeshException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () ->
                assertThrows(MeshException.class, () -> JinjaChatFormat.compile(doubling, "", "")));

    assertEquals(ErrorCode.MODEL_FILE_INVALID, e.code());
    assertTrue(e.getMessage().contains("render limits"), e.getMessage());
  }

  @Test
  void oneCompiledTemplateRendersOnManyThreadsAtOnce() throws Exception {
    JinjaChatFormat format =
        JinjaChatFormat.compile(text("Qwen-Qwen2.5-7B-Instruct.jinja"), "", "");
    List<List<ChatTurn>> conversations = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      List<ChatTurn> turns = new ArrayList<>();
      for (int t = 0; t <= i % 7; t++) {
        turns.add(new ChatTurn(t % 2 == 0 ? "user" : "assistant", "turn " + t + " of " + i));
      }
      conversations.add(turns);
      expected.add(format.render(turns, true));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int round = 0; round < 400; round++) {
        int i = round % conversations.size();
        results.add(
            pool.submit(() -> format.render(conversations.get(i), true).equals(expected.get(i))));
      }
      for (Future<Boolean> r : results) {
        assertTrue(r.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
