package dev.coemesh.worker.trace;

import io.opentelemetry.api.common.AttributeKey;
import java.util.List;

/**
 * The span attributes of the mesh, one list for the gateway and the workers (observability/
 * TRACING.md documents them). The OpenTelemetry GenAI semantic conventions where they have a name;
 * the mesh's own under {@code coemesh.*}. Every value is low-cardinality (names from the config,
 * closed sets, counts); prompt text and keys never appear.
 */
public final class MeshAttributes {
  private MeshAttributes() {}

  // --- GenAI semantic conventions (gen_ai.*) ---
  /** {@code chat} or {@code text_completion}. */
  public static final AttributeKey<String> OPERATION =
      AttributeKey.stringKey("gen_ai.operation.name");

  public static final AttributeKey<String> PROVIDER =
      AttributeKey.stringKey("gen_ai.provider.name");

  /** The model the client asked for ({@code auto} when the router chose). */
  public static final AttributeKey<String> REQUEST_MODEL =
      AttributeKey.stringKey("gen_ai.request.model");

  /** The expert that served it. */
  public static final AttributeKey<String> RESPONSE_MODEL =
      AttributeKey.stringKey("gen_ai.response.model");

  public static final AttributeKey<Long> MAX_TOKENS =
      AttributeKey.longKey("gen_ai.request.max_tokens");
  public static final AttributeKey<Double> TEMPERATURE =
      AttributeKey.doubleKey("gen_ai.request.temperature");
  public static final AttributeKey<Double> TOP_P = AttributeKey.doubleKey("gen_ai.request.top_p");
  public static final AttributeKey<Long> SEED = AttributeKey.longKey("gen_ai.request.seed");
  public static final AttributeKey<Long> INPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.input_tokens");
  public static final AttributeKey<Long> OUTPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.output_tokens");
  public static final AttributeKey<List<String>> FINISH_REASONS =
      AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");

  /** OpenTelemetry's general error attribute: the mesh's wire error code. */
  public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  // --- the mesh's own (coemesh.*) ---
  public static final AttributeKey<String> TENANT = AttributeKey.stringKey("coemesh.tenant");
  public static final AttributeKey<String> CATEGORY = AttributeKey.stringKey("coemesh.category");
  public static final AttributeKey<Double> CONFIDENCE =
      AttributeKey.doubleKey("coemesh.confidence");
  public static final AttributeKey<String> EXPERT = AttributeKey.stringKey("coemesh.expert");

  /** A replica of the deployment (bounded by its size), e.g. {@code stories/decode/decode-1}. */
  public static final AttributeKey<String> REPLICA = AttributeKey.stringKey("coemesh.replica");

  /** {@code upstream}, {@code colocated} or {@code disaggregated}. */
  public static final AttributeKey<String> PLACEMENT = AttributeKey.stringKey("coemesh.placement");

  /** The worker's role on this call: {@code prefill}, {@code decode} or {@code colocated}. */
  public static final AttributeKey<String> ROLE = AttributeKey.stringKey("coemesh.role");

  /** CacheGen level the KV shipped at (0 lossless … 3), or {@code text} when none shipped. */
  public static final AttributeKey<String> CODEC_LEVEL =
      AttributeKey.stringKey("coemesh.codec.level");

  public static final AttributeKey<Long> KV_TOKENS = AttributeKey.longKey("coemesh.kv.tokens");
  public static final AttributeKey<Long> KV_CHUNKS = AttributeKey.longKey("coemesh.kv.chunks");
  public static final AttributeKey<Long> KV_BYTES_RAW =
      AttributeKey.longKey("coemesh.kv.bytes_raw");
  public static final AttributeKey<Long> KV_BYTES_ENCODED =
      AttributeKey.longKey("coemesh.kv.bytes_encoded");

  /** Why decode recomputed the prompt instead of using the handed-over KV. */
  public static final AttributeKey<String> FALLBACK_REASON =
      AttributeKey.stringKey("coemesh.fallback.reason");

  /** Which try of the request this call is (1 = the placed replica, 2+ = failovers). */
  public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("coemesh.attempt");

  /** Tokens the client already had when this call started (a failover resumes after them). */
  public static final AttributeKey<Long> RESUMED_TOKENS =
      AttributeKey.longKey("coemesh.resumed_tokens");

  /** Why the attempt before this one failed (a wire error code). */
  public static final AttributeKey<String> FAILOVER_FROM =
      AttributeKey.stringKey("coemesh.failover.reason");

  /** Only when the operator opted in to prompt capture: the rendered prompt. */
  public static final AttributeKey<String> PROMPT = AttributeKey.stringKey("coemesh.prompt");

  /** The value of {@link #PROVIDER}: this mesh. */
  public static final String PROVIDER_NAME = "coemesh";
}
