package dev.coemesh.worker.http;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.Placement;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.pool.openai.ApiKind;
import dev.coemesh.pool.openai.ChatMessage;
import dev.coemesh.pool.openai.OpenAiBodies;
import dev.coemesh.pool.openai.OpenAiRequest;
import dev.coemesh.pool.openai.PromptInput;
import dev.coemesh.worker.client.PlacementClient;
import dev.coemesh.worker.client.Replanner;
import dev.coemesh.worker.server.WorkerRole;
import dev.coemesh.worker.server.WorkerRuntime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The OpenAI API of one worker pod, so that an Envoy gateway with an {@code InferencePool} can send
 * a client's unchanged request straight to it. Requests are read by the mesh's one OpenAI parser
 * ({@link OpenAiBodies}, shared with the gateway), the prompt rendered with the model's chat format
 * and tokenized once, then run as the gateway runs them: through {@link PlacementClient} on this
 * worker's own gRPC services, so credential check, admission, queue limits, metrics, tracing and
 * cancellation are exactly those of a {@code Generate} (or {@code Prefill} + {@code Decode}) call.
 * A colocated worker generates itself; a decode worker has the prefill worker the endpoint picker
 * names in {@value #PREFILL_HEADER} run the prompt and decodes from its KV.
 *
 * <p>Every request runs under one tenant, {@link #TENANT}: the pod has no API keys (the gateway in
 * front authenticates), so its prefix cache is shared by all of its HTTP clients, as in any
 * OpenAI-compatible server of an InferencePool.
 */
public final class OpenAiService {
  /** The header an endpoint picker sets on a decode worker's request: a prefill worker's gRPC. */
  public static final String PREFILL_HEADER = "x-mesh-prefill-endpoint";

  /** The tenant of every HTTP request. */
  public static final TenantId TENANT = new TenantId("openai-http");

  /** The work bound of one request (the gRPC calls' deadline, as {@code Calls} bounds them). */
  static final java.time.Duration DEADLINE = java.time.Duration.ofMinutes(10);

  private final WorkerRuntime runtime;
  private final String expert;
  private final int defaultMaxTokens;
  private final LoopbackDirectory directory;
  private final PlacementClient placements;

  /**
   * @param expert the model name clients use (the worker's expert)
   * @param defaultMaxTokens tokens generated at most when a request gives no {@code max_tokens}
   */
  public OpenAiService(
      WorkerRuntime runtime, String expert, int defaultMaxTokens, LoopbackDirectory directory) {
    if (defaultMaxTokens < 1) {
      throw new IllegalArgumentException("the default max tokens must be at least 1");
    }
    this.runtime = runtime;
    this.expert = expert;
    this.defaultMaxTokens = defaultMaxTokens;
    this.directory = directory;
    // one attempt: the endpoint picker chose this pod, its failover is the gateway's business
    this.placements = new PlacementClient(directory, 1, directory.tracing());
  }

  /**
   * The model name a client asks the mesh to route with (the routing config's default {@code
   * auto_model}). The endpoint picker forwards the body unchanged to the replica it chose, so a
   * worker serves such a request, and one without a model, as its own expert's; answers name the
   * expert.
   */
  public static final String ROUTED = "auto";

  public String expert() {
    return expert;
  }

  /** Whether this worker's role serves the API (prefill workers do not: they only prefill). */
  public boolean serves() {
    return runtime.settings().role() != WorkerRole.PREFILL;
  }

  /** A request ready to run: parsed, checked, tokenized and placed. */
  public record Prepared(
      ApiKind kind, OpenAiRequest api, GenerationRequest generation, Placement placement) {
    public String responseId() {
      return kind.responseId(generation.id().value());
    }
  }

  /**
   * Reads and checks a request body and tokenizes its prompt. Blocking (template rendering and
   * tokenizing take time on long prompts): call it off the event loop.
   *
   * @param prefillEndpoint the {@value #PREFILL_HEADER} header, or null
   * @throws MeshException for the client's mistakes, naming the parameter
   */
  public Prepared prepare(ApiKind kind, byte[] body, String prefillEndpoint) {
    OpenAiRequest api =
        switch (kind) {
          case CHAT -> OpenAiBodies.chat(body);
          case COMPLETION -> OpenAiBodies.completion(body);
        };
    if (api.model() != null && !api.model().equals(expert) && !api.model().equals(ROUTED)) {
      throw new MeshException(
          ErrorCode.MODEL_NOT_FOUND,
          "The model '"
              + (api.model().length() > 64 ? api.model().substring(0, 64) + "..." : api.model())
              + "' does not exist here; this worker serves '"
              + expert
              + "'",
          "model",
          null);
    }
    Placement placement = placement(prefillEndpoint);
    int[] prompt = runtime.model().tokenizer().encode(prompt(api.input()), true);
    SamplingParams sampling =
        new SamplingParams(
            api.temperature(),
            0,
            api.topP(),
            api.seed() != null ? api.seed() : ThreadLocalRandom.current().nextLong(),
            api.maxTokens() > 0 ? api.maxTokens() : defaultMaxTokens,
            List.of(),
            api.stop(),
            -1);
    GenerationRequest generation =
        new GenerationRequest(
            RequestId.random(),
            TENANT,
            new ExpertId(expert),
            "",
            prompt,
            BlockHashes.root(TENANT.value()),
            sampling,
            Instant.now().plus(DEADLINE));
    return new Prepared(kind, api, generation, placement);
  }

  /** Runs a prepared request; its events reach {@code sink} in order, one terminal event last. */
  public ExpertBackend.Generation run(Prepared prepared, Consumer<TokenEvent> sink) {
    return placements.execute(prepared.placement(), prepared.generation(), Replanner.none(), sink);
  }

  private Placement placement(String prefillEndpoint) {
    ExpertId id = new ExpertId(expert);
    return switch (runtime.settings().role()) {
      case COLOCATED -> new Placement.Colocated(LoopbackDirectory.self(id, ReplicaRole.COLOCATED));
      case DECODE -> {
        if (prefillEndpoint == null || prefillEndpoint.isBlank()) {
          throw MeshException.invalid(
              PREFILL_HEADER,
              "this is a decode worker: a prefill endpoint is required in the '"
                  + PREFILL_HEADER
                  + "' header (host:port of a prefill worker's gRPC service)");
        }
        ReplicaId prefill = directory.prefill(id, prefillEndpoint.strip());
        yield new Placement.Disaggregated(prefill, LoopbackDirectory.self(id, ReplicaRole.DECODE));
      }
      case PREFILL ->
          throw new MeshException(
              ErrorCode.MODEL_NOT_FOUND, "a prefill worker serves no OpenAI API", null, null);
    };
  }

  /** The text the model completes: a completion's prompt, or the conversation rendered. */
  private String prompt(PromptInput input) {
    return switch (input) {
      case PromptInput.Text t -> t.text();
      case PromptInput.Chat c -> {
        if (!c.upstreamOnly().isEmpty()) {
          String param = c.upstreamOnly().getFirst();
          throw new MeshException(
              ErrorCode.UNSUPPORTED_PARAMETER,
              "'" + param + "' is not supported by this worker's engine (text chat only)",
              param,
              null);
        }
        yield runtime
            .model()
            .chatFormat()
            .render(c.messages().stream().map(ChatMessage::turn).toList(), true);
      }
    };
  }
}
