package dev.coemesh.gateway.api;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.grpc.v1.ChatMessage;
import dev.coemesh.gateway.grpc.v1.GenerateRequest;
import dev.coemesh.gateway.grpc.v1.GenerateResponse;
import dev.coemesh.gateway.grpc.v1.InferenceGrpc;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.orchestrate.RequestOrchestrator;
import dev.coemesh.gateway.testing.Gateway;
import dev.coemesh.testkit.quarkus.FreeGrpcPort;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the front door, REST and gRPC: mutated and generated OpenAI requests within the
 * body and message limits, with unicode edge cases (lone surrogates, invalid UTF-8, combining
 * marks, long single-token strings). Every case must end within its time bound with a success or a
 * 4xx (a typed, non-internal gRPC status), never a 5xx or a hang, and afterwards nothing may be
 * held (no request, ticket, sequence or KV block). {@code -Dmesh.fuzz.seed=N} replays a run, {@code
 * -Dmesh.fuzz.cases=N} sets its length; the seed is in every failure message.
 */
@QuarkusTest
class FrontDoorFuzzTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CASE_BOUND = Duration.ofSeconds(20);

  /** gRPC statuses a client mistake or a limit may produce; INTERNAL and UNKNOWN are defects. */
  private static final Set<Status.Code> CLIENT_STATUSES =
      Set.of(
          Status.Code.INVALID_ARGUMENT,
          Status.Code.NOT_FOUND,
          Status.Code.RESOURCE_EXHAUSTED,
          Status.Code.UNAUTHENTICATED,
          Status.Code.PERMISSION_DENIED,
          Status.Code.OUT_OF_RANGE);

  /** Strings that break naive text handling. */
  private static final List<String> EDGE_STRINGS =
      List.of(
          "",
          " ",
          "\u0000",
          "\uD800", // a lone high surrogate
          "\uDC00x\uD83D", // a lone low surrogate, then a cut pair
          "e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301", // stacked combining marks
          "\uD83D\uDE00\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", // emoji, ZWJ sequence
          "\u202Eevil\u202C", // bidi override
          "\uFEFF\uFFFE\uFFFF",
          "a".repeat(20_000), // one long run: a single giant token candidate
          "\u4E00".repeat(5_000),
          "\r\n\t\u000B\u000C\u0085\u2028\u2029",
          "<0xFF><0x00><s></s><unk>",
          "null",
          "{\"role\":\"system\"}");

  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @TestHTTPResource("/")
  URI base;

  @Inject RequestOrchestrator orchestrator;
  @Inject ExpertDirectory experts;
  @Inject VtcScheduler fair;

  private final long seed = Long.getLong("mesh.fuzz.seed", new Random().nextLong());
  private final int cases = Integer.getInteger("mesh.fuzz.cases", 200);

  @Test
  void restRequestsEndInSuccessOrAClientErrorAndLeaveNothingHeld() throws Exception {
    Random random = new Random(seed);
    int ok = 0;
    int refused = 0;
    for (int i = 0; i < cases; i++) {
      boolean chat = random.nextBoolean();
      byte[] body = restBody(random, chat);
      String what = "seed=" + seed + " case=" + i + " body=" + preview(body);
      HttpRequest request =
          HttpRequest.newBuilder(base.resolve(chat ? "/v1/chat/completions" : "/v1/completions"))
              .timeout(CASE_BOUND)
              .header("content-type", "application/json")
              .header("authorization", "Bearer " + Gateway.DEFAULT_KEY)
              .POST(HttpRequest.BodyPublishers.ofByteArray(body))
              .build();
      HttpResponse<String> r;
      try {
        r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (java.net.http.HttpTimeoutException e) {
        throw new AssertionError("no answer within " + CASE_BOUND + ": " + what, e);
      }
      int status = r.statusCode();
      if (status >= 500 || (status != 200 && status < 400)) {
        fail("status " + status + " " + r.body() + ": " + what);
      }
      if (status == 200) {
        ok++;
      } else {
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertTrue(error != null && error.hasNonNull("message"), r.body() + ": " + what);
        assertTrue(!r.body().contains("Exception"), "internals in the body: " + what);
        refused++;
      }
    }
    Gateway.awaitIdle(orchestrator, experts, fair);
    System.out.printf(
        "REST fuzz: %d cases, %d answered, %d refused with 4xx, seed %d%n",
        cases, ok, refused, seed);
    assertTrue(ok > 0 && refused > 0, "seed=" + seed + ": both outcomes exercised");
  }

  @Test
  void grpcRequestsEndInSuccessOrATypedClientStatusAndLeaveNothingHeld() throws Exception {
    Random random = new Random(seed ^ 0x9E3779B97F4A7C15L);
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", FreeGrpcPort.port()).usePlaintext().build();
    Metadata key = new Metadata();
    key.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + Gateway.DEFAULT_KEY);
    int ok = 0;
    int refused = 0;
    try {
      for (int i = 0; i < cases; i++) {
        GenerateRequest request = grpcRequest(random);
        String what = "seed=" + seed + " case=" + i + " request=" + preview(request.toString());
        InferenceGrpc.InferenceBlockingStub stub =
            InferenceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                .withDeadlineAfter(CASE_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        try {
          Iterator<GenerateResponse> it = stub.generate(request);
          while (it.hasNext()) {
            it.next();
          }
          ok++;
        } catch (StatusRuntimeException e) {
          Status.Code code = e.getStatus().getCode();
          if (code == Status.Code.DEADLINE_EXCEEDED) {
            throw new AssertionError("no answer within " + CASE_BOUND + ": " + what, e);
          }
          assertTrue(CLIENT_STATUSES.contains(code), code + " " + e.getStatus() + ": " + what);
          String description = String.valueOf(e.getStatus().getDescription());
          assertTrue(!description.contains("java."), "internals in the status: " + what);
          refused++;
        }
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    Gateway.awaitIdle(orchestrator, experts, fair);
    System.out.printf(
        "gRPC fuzz: %d cases, %d answered, %d refused, seed %d%n", cases, ok, refused, seed);
    assertTrue(ok > 0 && refused > 0, "seed=" + seed + ": both outcomes exercised");
  }

  /** A valid request, then up to three mutations; one case in eight is raw bytes. */
  private static byte[] restBody(Random random, boolean chat) throws Exception {
    if (random.nextInt(8) == 0) {
      return rawBytes(random);
    }
    ObjectNode body = NODES.objectNode();
    body.put("model", random.nextBoolean() ? "auto" : "stories260k");
    if (chat) {
      ArrayNode messages = body.putArray("messages");
      int n = 1 + random.nextInt(3);
      for (int m = 0; m < n; m++) {
        ObjectNode message = messages.addObject();
        message.put("role", pick(random, List.of("system", "user", "assistant", "developer")));
        message.put("content", text(random));
      }
    } else {
      body.put("prompt", text(random));
    }
    body.put("max_tokens", 1 + random.nextInt(8));
    body.put("temperature", random.nextDouble() * 2);
    if (random.nextBoolean()) {
      body.put("stream", true);
    }
    int mutations = random.nextInt(4);
    for (int m = 0; m < mutations; m++) {
      mutate(random, body);
    }
    byte[] bytes = JSON.writeValueAsBytes(body);
    if (random.nextInt(10) == 0) {
      // damage the serialised text: a cut, or an invalid UTF-8 byte
      int at = random.nextInt(bytes.length);
      if (random.nextBoolean()) {
        bytes = java.util.Arrays.copyOf(bytes, at);
      } else {
        bytes[at] = (byte) (0x80 | random.nextInt(0x80));
      }
    }
    return bytes;
  }

  private static void mutate(Random random, ObjectNode body) {
    List<String> fields =
        List.of(
            "model",
            "messages",
            "prompt",
            "max_tokens",
            "temperature",
            "top_p",
            "seed",
            "stop",
            "stream",
            "stream_options",
            "n",
            "user",
            "tools",
            "logprobs",
            "response_format",
            "max_completion_tokens",
            "unknown_" + random.nextInt(3));
    String field = pick(random, fields);
    switch (random.nextInt(7)) {
      case 0 -> body.remove(field);
      case 1 -> body.putNull(field);
      case 2 -> body.put(field, random.nextLong());
      case 3 -> body.put(field, text(random));
      case 4 -> body.put(field, random.nextBoolean() ? Double.MAX_VALUE : -random.nextDouble());
      case 5 -> body.set(field, nested(random, random.nextInt(40)));
      default -> body.putArray(field).add(text(random)).add(random.nextInt());
    }
  }

  /** Arrays within arrays: past the nesting limit when deep enough. */
  private static JsonNode nested(Random random, int depth) {
    JsonNode node = NODES.textNode(text(random));
    for (int d = 0; d < depth; d++) {
      node = NODES.arrayNode().add(node);
    }
    return node;
  }

  private static String text(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> pick(random, EDGE_STRINGS);
      case 1 -> "Once upon a time " + pick(random, EDGE_STRINGS);
      case 2 -> randomCodeUnits(random, random.nextInt(200));
      default -> "Tell me a story about a " + pick(random, List.of("cat", "dog", "ship"));
    };
  }

  /** Arbitrary UTF-16 code units, surrogates and controls included. */
  private static String randomCodeUnits(Random random, int length) {
    StringBuilder s = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      s.append((char) random.nextInt(Character.MAX_VALUE + 1));
    }
    return s.toString();
  }

  private static byte[] rawBytes(Random random) {
    byte[] bytes = new byte[random.nextInt(2_000)];
    random.nextBytes(bytes);
    return bytes;
  }

  private static GenerateRequest grpcRequest(Random random) {
    GenerateRequest.Builder r = GenerateRequest.newBuilder();
    if (random.nextInt(4) > 0) {
      r.setModel(pick(random, List.of("auto", "stories260k", "stories260k-gguf", "nope", "")));
    }
    switch (random.nextInt(3)) {
      case 0 -> r.setPrompt(text(random));
      case 1 -> {
        int n = random.nextInt(4);
        for (int m = 0; m < n; m++) {
          r.addMessages(
              ChatMessage.newBuilder()
                  .setRole(pick(random, List.of("user", "system", "assistant", "tool", "")))
                  .setContent(text(random)));
        }
      }
      default -> {
        r.setPrompt(text(random));
        r.addMessages(ChatMessage.newBuilder().setRole("user").setContent(text(random)));
      }
    }
    r.setMaxTokens(
        switch (random.nextInt(4)) {
          case 0 -> random.nextInt(); // negative half: 2^31 and more on the wire
          case 1 -> 0;
          default -> 1 + random.nextInt(8);
        });
    if (random.nextBoolean()) {
      r.setTemperature(
          pick(random, List.of(0.0, 0.7, 2.0, 2.5, -1.0, Double.NaN, Double.POSITIVE_INFINITY)));
    }
    if (random.nextBoolean()) {
      r.setTopP(pick(random, List.of(0.0, 0.5, 1.0, 1.5, Double.NaN)));
    }
    if (random.nextInt(4) == 0) {
      r.setSeed(random.nextLong());
    }
    int stops = random.nextInt(6) == 0 ? random.nextInt(7) : 0;
    for (int s = 0; s < stops; s++) {
      r.addStop(random.nextInt(5) == 0 ? "" : text(random));
    }
    if (random.nextInt(5) == 0) {
      r.setCategory(pick(random, List.of("story", "code", "nonsense", "")));
    }
    return r.build();
  }

  private static <T> T pick(Random random, List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  private static String preview(byte[] body) {
    return preview(new String(body, StandardCharsets.UTF_8));
  }

  private static String preview(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
