package dev.coemesh.gateway.orchestrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.signal.InProcessSignalBus;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.gateway.fair.BackendCapacity;
import dev.coemesh.gateway.fair.VtcOptions;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.observe.RequestObserver;
import dev.coemesh.gateway.serve.EmbeddedPool;
import dev.coemesh.gateway.testing.RecordingListener;
import dev.coemesh.gateway.testing.TestRouting;
import dev.coemesh.pool.backend.EmbeddedExpertBackend;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.model.TensorType;
import dev.coemesh.pool.openai.ChatMessage;
import dev.coemesh.pool.openai.PromptInput;
import dev.coemesh.pool.openai.Role;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import dev.coemesh.pool.synthetic.ChatMetadata;
import dev.coemesh.pool.synthetic.SyntheticModel;
import dev.coemesh.router.Router;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An embedded expert whose GGUF file carries a chat template serves a chat rendered with that
 * template, control tokens and all, after routing: the prompt the engine runs is the template's,
 * and the template's own refusal ({@code raise_exception}) reaches the client as a 400.
 */
class ChatTemplateServingTest {
  static final ExpertId EXPERT = new ExpertId("chatml");

  /** A ChatML template that, like Mistral's, refuses a conversation that does not end on a user. */
  static final String CHATML =
      "{% if messages[-1]['role'] != 'user' %}{{ raise_exception('the last message must be the"
          + " user\\'s') }}{% endif %}{% for message in messages %}{{ '<|im_start|>' +"
          + " message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}"
          + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  static final InProcessSignalBus SIGNALS = new InProcessSignalBus(4096);
  static final Router ROUTER = TestRouting.singleExpert(EXPERT.value(), SIGNALS);
  static final Tenant TENANT = new Tenant(new TenantId("t"), 1, 8, 4, 0);
  static Model model;
  static EmbeddedExpertBackend backend;
  static ExpertDirectory experts;

  @BeforeAll
  static void loadModel() throws Exception {
    Path dir = Files.createTempDirectory("coemesh-chatml");
    Path file = dir.resolve("chatml.gguf");
    new SyntheticModel(new ModelConfig(64, 96, 2, 4, 2, 400, 256, 10000f, 16, 1e-5f), 7)
        .writeGguf(
            file, TensorType.F32, new ChatMetadata(CHATML, List.of("<|im_start|>", "<|im_end|>")));
    model = ModelLoader.load(file, null);
    ReplicaId replica = new ReplicaId(EXPERT, ReplicaRole.COLOCATED, "test-0");
    backend =
        new EmbeddedExpertBackend(
            EXPERT,
            model,
            new EngineOptions(1, 16, 64),
            new SchedulerOptions(4, 256, 64),
            replica,
            SIGNALS);
    experts =
        new ExpertDirectory(
            List.of(EmbeddedPool.of(replica, backend, model.tokenizer(), model.chatFormat())));
  }

  @AfterAll
  static void close() {
    backend.close();
    ROUTER.close();
    SIGNALS.close();
  }

  RequestOrchestrator orchestrator() {
    return new RequestOrchestrator(
        new ExpertResolver(experts, ROUTER),
        new VtcScheduler(
            VtcOptions.defaults(), new BackendCapacity(e -> experts.get(e).capacity())),
        new TokenRateLimiter(),
        new RequestMetrics(new SimpleMeterRegistry()),
        RequestObserver.NONE,
        64,
        Duration.ofMinutes(1));
  }

  @Test
  void theEngineRunsThePromptTheModelsTemplateRenders() throws Exception {
    List<ChatMessage> chat =
        List.of(new ChatMessage(Role.SYSTEM, "Be brief."), new ChatMessage(Role.USER, "Hi"));
    String rendered =
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            + "<|im_start|>assistant\n";
    assertEquals(
        rendered, model.chatFormat().render(chat.stream().map(ChatMessage::turn).toList(), true));
    int[] ids = model.tokenizer().encode(rendered, true);
    int imStart = model.tokenizer().encode("<|im_start|>", false)[0];
    assertEquals(1, model.tokenizer().encode("<|im_start|>", false).length, "one control token");
    assertEquals(imStart, ids[1], "the template's marker is a control token after BOS");
    RecordingListener r = new RecordingListener();
    orchestrator()
        .start(TENANT, Requests.greedy(null, new PromptInput.Chat(chat), 6, List.of()), r);
    r.await();
    assertNull(r.error);
    assertEquals(ids.length, r.usage.promptTokens());
    // the same prompt, completed directly, gives the same greedy tokens
    RecordingListener direct = new RecordingListener();
    orchestrator()
        .start(TENANT, Requests.greedy(null, new PromptInput.Text(rendered), 6, List.of()), direct);
    direct.await();
    assertEquals(direct.text(), r.text());
    assertArrayEquals(
        direct.tokens.stream().mapToInt(t -> t.tokenId()).toArray(),
        r.tokens.stream().mapToInt(t -> t.tokenId()).toArray());
  }

  @Test
  void theTemplatesRefusalIsAnInvalidRequestWithItsMessage() throws Exception {
    RecordingListener r = new RecordingListener();
    orchestrator()
        .start(
            TENANT,
            Requests.greedy(
                null,
                new PromptInput.Chat(
                    List.of(
                        new ChatMessage(Role.USER, "Hi"),
                        new ChatMessage(Role.ASSISTANT, "Hello"))),
                6,
                List.of()),
            r);
    r.await();
    assertEquals(ErrorCode.INVALID_REQUEST, r.error.code());
    assertTrue(
        r.error.getMessage().contains("the last message must be the user's"), r.error.getMessage());
    assertEquals(0, backend.capacity().runningSequences());
  }
}
