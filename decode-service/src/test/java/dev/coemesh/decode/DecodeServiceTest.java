package dev.coemesh.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.pool.worker.PrefillResult;
import dev.coemesh.testkit.quarkus.FreeGrpcPort;
import dev.coemesh.testkit.quarkus.MeshCredentialFile;
import dev.coemesh.testkit.quarkus.RedisTestResource;
import dev.coemesh.worker.auth.MeshCallCredentials;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.rpc.GrpcStatuses;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.server.WorkerRuntime;
import dev.coemesh.worker.v1.ColocatedGrpc;
import dev.coemesh.worker.v1.DecodeGrpc;
import dev.coemesh.worker.v1.DecodeRequest;
import dev.coemesh.worker.v1.Finished;
import dev.coemesh.worker.v1.GenerateRequest;
import dev.coemesh.worker.v1.LoadRequest;
import dev.coemesh.worker.v1.NoKvReason;
import dev.coemesh.worker.v1.RequestRef;
import dev.coemesh.worker.v1.Sampling;
import dev.coemesh.worker.v1.TokenReply;
import dev.coemesh.worker.v1.WorkerStatusGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lettuce.core.RedisClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The decode service over a real gRPC channel, pulling KV from a real redis-server. */
@QuarkusTest
@QuarkusTestResource(FreeGrpcPort.class)
@QuarkusTestResource(RedisTestResource.class)
@QuarkusTestResource(MeshCredentialFile.class)
class DecodeServiceTest {
  /** Greedy ids after BOS for stories260K, from ../shared/models/README.md. */
  private static final List<Integer> GREEDY_30 =
      List.of(
          403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396,
          267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433);

  private static final TenantId TENANT = new TenantId("acme");
  private static final String PROMPT = "Tom had a big red ball and a small dog";

  @Inject WorkerRuntime runtime;
  @Inject MeterRegistry meters;

  @ConfigProperty(name = "mesh.redis.uri")
  String redisUri;

  ManagedChannel channel;

  @BeforeEach
  void connect() {
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", FreeGrpcPort.port())
            .usePlaintext()
            .intercept(
                MeshCallCredentials.interceptor(MeshCredential.fromFile(MeshCredentialFile.path())))
            .build();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Tokens and the Finished message of one stream. */
  record Streamed(List<Integer> ids, List<Integer> indices, Finished finished) {
    static Streamed of(Iterator<TokenReply> replies) {
      List<Integer> ids = new ArrayList<>();
      List<Integer> indices = new ArrayList<>();
      Finished finished = null;
      while (replies.hasNext()) {
        TokenReply r = replies.next();
        if (r.hasToken()) {
          ids.add(r.getToken().getTokenId());
          indices.add(r.getToken().getIndex());
        } else {
          finished = r.getFinished();
        }
      }
      return new Streamed(ids, indices, finished);
    }
  }

  private Streamed generate(GenerateRequest request) {
    return Streamed.of(
        ColocatedGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .generate(request));
  }

  private Streamed decode(DecodeRequest request) {
    return Streamed.of(
        DecodeGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .decode(request));
  }

  private static RequestRef ref(RequestId id) {
    return WorkerMessages.ref(id, TENANT);
  }

  /**
   * Prefills with the app's own prefill worker: lossless KV in Redis, as a prefill replica would.
   */
  private PrefillResult prefilled(RequestId id, int maxTokens) throws Exception {
    return runtime
        .prefill()
        .prefill(
            new GenerationRequest(
                id,
                TENANT,
                new ExpertId("stories"),
                PROMPT,
                SamplingParams.greedy(maxTokens),
                Instant.now().plusSeconds(30)))
        .get(30, TimeUnit.SECONDS);
  }

  private static DecodeRequest.Builder decodeAfter(RequestId id, PrefillResult p, int maxTokens) {
    return DecodeRequest.newBuilder()
        .setRequest(ref(id))
        .addAllPromptTokenIds(WorkerMessages.list(p.promptTokens()))
        .setSampling(Sampling.newBuilder().setMaxTokens(maxTokens))
        .addResumeTokenIds(p.first().tokenId());
  }

  private List<Integer> colocated(int maxTokens) {
    return generate(
            GenerateRequest.newBuilder()
                .setRequest(ref(RequestId.random()))
                .setText(PROMPT)
                .setSampling(Sampling.newBuilder().setMaxTokens(maxTokens))
                .build())
        .ids();
  }

  private long dbsize() {
    RedisClient client = RedisClient.create(redisUri);
    try (var connection = client.connect()) {
      return connection.sync().dbsize();
    } finally {
      client.shutdown();
    }
  }

  private long fallbacks(String reason) {
    return WorkerStatusGrpc.newBlockingStub(channel)
        .load(LoadRequest.getDefaultInstance())
        .getFallbacksOrThrow(reason);
  }

  @Test
  void generateFromBosGivesTheReferenceGreedyTokens() {
    Streamed s =
        generate(
            GenerateRequest.newBuilder()
                .setRequest(ref(RequestId.random()))
                .setText("")
                .setSampling(Sampling.newBuilder().setMaxTokens(30))
                .build());
    assertEquals(GREEDY_30, s.ids());
    assertEquals("length", s.finished().getFinishReason());
    assertTrue(meters.get("mesh.worker.tpot").tag("mode", "colocated").timer().count() >= 1);
  }

  @Test
  void decodingAHandedOverKvContinuesExactlyAsColocatedAndDeletesIt() throws Exception {
    long keysBefore = dbsize();
    RequestId id = RequestId.random();
    PrefillResult p = prefilled(id, 40);
    assertEquals(keysBefore + p.handle().chunks() + 1, dbsize());

    Streamed s = decode(decodeAfter(id, p, 40).setKv(WorkerMessages.handle(p.handle())).build());
    List<Integer> expected = colocated(40);
    assertEquals(expected.getFirst(), p.first().tokenId());
    assertEquals(expected.subList(1, expected.size()), s.ids());
    assertEquals(1, s.indices().getFirst(), "indices continue after the first token");
    assertEquals("", s.finished().getFallbackReason());
    assertTrue(s.finished().getTimings().getKvDecodeMs() >= 0);
    assertEquals(40, s.finished().getUsage().getCompletionTokens());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (dbsize() != keysBefore && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(keysBefore, dbsize(), "the KV is deleted once consumed");
  }

  @Test
  void withoutAHandleDecodeRecomputesThePromptAndCountsTheFallback() throws Exception {
    RequestId id = RequestId.random();
    PrefillResult p = prefilled(id, 20);
    runtime.release(p.handle());
    long before = fallbacks("store_unavailable");
    double counted =
        meters.get("mesh.decode.fallbacks").tag("reason", "store_unavailable").counter().count();

    Streamed s = decode(decodeAfter(id, p, 20).build());
    List<Integer> expected = colocated(20);
    assertEquals(expected.subList(1, expected.size()), s.ids());
    assertEquals("store_unavailable", s.finished().getFallbackReason());
    assertEquals(before + 1, fallbacks("store_unavailable"));
    assertEquals(
        counted + 1,
        meters.get("mesh.decode.fallbacks").tag("reason", "store_unavailable").counter().count());
  }

  @Test
  void whenPrefillChoseTextDecodeRecomputesAndCountsItAsPredictedSlower() throws Exception {
    RequestId id = RequestId.random();
    PrefillResult p = prefilled(id, 20);
    runtime.release(p.handle());
    long before = fallbacks("predicted_slower");
    double counted =
        meters.get("mesh.decode.fallbacks").tag("reason", "predicted_slower").counter().count();

    Streamed s =
        decode(decodeAfter(id, p, 20).setNoKvReason(NoKvReason.NO_KV_PREDICTED_SLOWER).build());
    List<Integer> expected = colocated(20);
    assertEquals(expected.subList(1, expected.size()), s.ids());
    assertEquals("predicted_slower", s.finished().getFallbackReason());
    assertEquals(before + 1, fallbacks("predicted_slower"));
    assertEquals(
        counted + 1,
        meters.get("mesh.decode.fallbacks").tag("reason", "predicted_slower").counter().count());
  }

  @Test
  void aHandleWhoseKvIsGoneFallsBackAsMissing() throws Exception {
    RequestId id = RequestId.random();
    PrefillResult p = prefilled(id, 10);
    runtime.release(p.handle());
    Thread.sleep(50);
    long before = fallbacks("kv_missing");
    Streamed s = decode(decodeAfter(id, p, 10).setKv(WorkerMessages.handle(p.handle())).build());
    assertEquals(9, s.ids().size());
    assertEquals("kv_missing", s.finished().getFallbackReason());
    assertEquals(before + 1, fallbacks("kv_missing"));
  }

  @Test
  void aStreamPastItsDeadlineIsCancelledInTheEngine() throws Exception {
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                Streamed.of(
                    ColocatedGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.MILLISECONDS)
                        .generate(
                            GenerateRequest.newBuilder()
                                .setRequest(ref(RequestId.random()))
                                .setText(PROMPT.repeat(8))
                                .setSampling(
                                    Sampling.newBuilder()
                                        .setMaxTokens(400)
                                        .setTemperature(1.0)
                                        .setSeed(3))
                                .build())));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (runtime.batcher().engine().liveSequences() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, runtime.batcher().engine().liveSequences(), "no engine blocks left");
  }

  static Stream<Arguments> badRequests() {
    dev.coemesh.worker.v1.KvHandle otherTenant =
        dev.coemesh.worker.v1.KvHandle.newBuilder()
            .setTenant("globex")
            .setRequestId("r1")
            .setTokens(2)
            .setChunks(1)
            .build();
    return Stream.of(
        Arguments.of(
            "no resume token",
            bad(DecodeRequest.Builder::clearResumeTokenIds),
            Status.Code.INVALID_ARGUMENT,
            "invalid_request"),
        Arguments.of(
            "empty prompt",
            bad(DecodeRequest.Builder::clearPromptTokenIds),
            Status.Code.INVALID_ARGUMENT,
            "invalid_request"),
        Arguments.of(
            "token id outside the vocabulary",
            bad(b -> b.addPromptTokenIds(4000)),
            Status.Code.INVALID_ARGUMENT,
            "invalid_request"),
        Arguments.of(
            "temperature above 100",
            bad(b -> b.setSampling(Sampling.newBuilder().setMaxTokens(3).setTemperature(101))),
            Status.Code.INVALID_ARGUMENT,
            "invalid_request"),
        Arguments.of(
            "malformed KV handle",
            bad(b -> b.setKv(otherTenant.toBuilder().setTenant("Globex!"))),
            Status.Code.INVALID_ARGUMENT,
            "invalid_request"),
        Arguments.of(
            "KV of another tenant",
            bad(b -> b.setKv(otherTenant)),
            Status.Code.PERMISSION_DENIED,
            "permission_denied"));
  }

  private static DecodeRequest bad(UnaryOperator<DecodeRequest.Builder> edit) {
    return edit.apply(
            DecodeRequest.newBuilder()
                .setRequest(RequestRef.newBuilder().setRequestId("r1").setTenant("acme"))
                .addPromptTokenIds(1)
                .addPromptTokenIds(403)
                .setSampling(Sampling.newBuilder().setMaxTokens(3))
                .addResumeTokenIds(407))
        .build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void badInputEndsTheCallWithTheMappedStatus(
      String what, DecodeRequest request, Status.Code status, String code) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> decode(request));
    assertEquals(status, e.getStatus().getCode(), e.toString());
    assertEquals(code, e.getTrailers().get(GrpcStatuses.ERROR_CODE));
  }
}
