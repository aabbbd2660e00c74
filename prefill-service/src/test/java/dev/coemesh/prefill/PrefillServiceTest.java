package dev.coemesh.prefill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.testkit.quarkus.FreeGrpcPort;
import dev.coemesh.testkit.quarkus.MeshCredentialFile;
import dev.coemesh.testkit.quarkus.RedisTestResource;
import dev.coemesh.worker.auth.MeshCallCredentials;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.rpc.GrpcStatuses;
import dev.coemesh.worker.v1.ColocatedGrpc;
import dev.coemesh.worker.v1.GenerateRequest;
import dev.coemesh.worker.v1.LoadReply;
import dev.coemesh.worker.v1.LoadRequest;
import dev.coemesh.worker.v1.PrefillGrpc;
import dev.coemesh.worker.v1.PrefillReply;
import dev.coemesh.worker.v1.PrefillRequest;
import dev.coemesh.worker.v1.RequestRef;
import dev.coemesh.worker.v1.Sampling;
import dev.coemesh.worker.v1.TokenIds;
import dev.coemesh.worker.v1.TokenReply;
import dev.coemesh.worker.v1.WorkerStatusGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.lettuce.core.RedisClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The prefill service over a real gRPC channel presenting the mesh credential, shipping KV into a
 * real redis-server.
 */
@QuarkusTest
@QuarkusTestResource(FreeGrpcPort.class)
@QuarkusTestResource(RedisTestResource.class)
@QuarkusTestResource(MeshCredentialFile.class)
class PrefillServiceTest {
  @Inject MeterRegistry meters;

  @ConfigProperty(name = "mesh.redis.uri")
  String redisUri;

  ManagedChannel channel;

  /** Calls without any credential. */
  ManagedChannel anonymous;

  @BeforeEach
  void connect() {
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", FreeGrpcPort.port())
            .usePlaintext()
            .intercept(MeshCallCredentials.interceptor(credential()))
            .build();
    anonymous =
        ManagedChannelBuilder.forAddress("127.0.0.1", FreeGrpcPort.port()).usePlaintext().build();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    anonymous.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static MeshCredential credential() {
    return MeshCredential.fromFile(MeshCredentialFile.path());
  }

  private PrefillGrpc.PrefillBlockingStub prefill() {
    return PrefillGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static RequestRef ref() {
    return RequestRef.newBuilder()
        .setRequestId(UUID.randomUUID().toString().replace("-", ""))
        .setTenant("acme")
        .build();
  }

  private static PrefillRequest.Builder valid() {
    return PrefillRequest.newBuilder()
        .setRequest(ref())
        .setText("Once upon a time")
        .setSampling(Sampling.newBuilder().setMaxTokens(20));
  }

  private long dbsize() {
    RedisClient client = RedisClient.create(redisUri);
    try (var connection = client.connect()) {
      return connection.sync().dbsize();
    } finally {
      client.shutdown();
    }
  }

  @Test
  void prefillReturnsTheColocatedFirstTokenAndAHandleToKvInRedis() {
    long keysBefore = dbsize();
    long levelTwoBefore = kvLevels().getKvLevelsOrThrow("level_2");
    PrefillReply reply = prefill().prefill(valid().build());

    Iterator<TokenReply> colocated =
        ColocatedGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .generate(
                GenerateRequest.newBuilder()
                    .setRequest(ref())
                    .setText("Once upon a time")
                    .setSampling(Sampling.newBuilder().setMaxTokens(1))
                    .build());
    assertEquals(colocated.next().getToken().getTokenId(), reply.getFirst().getTokenId());
    assertEquals(0, reply.getFirst().getIndex());
    assertFalse(reply.hasFinished(), "decoding continues elsewhere");

    int promptTokens = reply.getPromptTokenIdsCount();
    assertEquals(1, reply.getPromptTokenIds(0), "BOS first");
    assertEquals(promptTokens, reply.getKv().getTokens());
    assertEquals((promptTokens + 63) / 64, reply.getKv().getChunks());
    assertEquals(2, reply.getKv().getLevel(), "the configured codec level");
    assertEquals("acme", reply.getKv().getTenant());
    assertEquals(keysBefore + reply.getKv().getChunks() + 1, dbsize(), "chunks and metadata");
    assertTrue(reply.getTimings().getTtftMs() > 0);
    assertTrue(reply.getTimings().getKvEncodeMs() >= 0);
    assertTrue(reply.getTimings().getKvTransferMs() >= 0);
    assertTrue(meters.get("mesh.worker.ttft").tag("mode", "prefill").timer().count() >= 1);
    assertTrue(meters.get("mesh.kv.encode").tag("mode", "prefill").timer().count() >= 1);
    LoadReply load = kvLevels();
    assertEquals(levelTwoBefore + 1, load.getKvLevelsOrThrow("level_2"), "the decision is counted");
    assertEquals(0, load.getKvLevelsOrThrow("text"), "a fixed level never chooses text");
    assertEquals(
        load.getKvLevelsOrThrow("level_2"),
        meters.get("mesh.kv.level").tag("level", "2").functionCounter().count());
  }

  private LoadReply kvLevels() {
    return WorkerStatusGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .load(LoadRequest.getDefaultInstance());
  }

  @Test
  void aOneTokenRequestEndsAtPrefillWithoutStoringKv() {
    long keysBefore = dbsize();
    PrefillReply reply =
        prefill().prefill(valid().setSampling(Sampling.newBuilder().setMaxTokens(1)).build());
    assertEquals("length", reply.getFinished().getFinishReason());
    assertEquals(1, reply.getFinished().getUsage().getCompletionTokens());
    assertFalse(reply.hasKv());
    assertEquals(keysBefore, dbsize());
  }

  static Stream<Arguments> badRequests() {
    return Stream.of(
        Arguments.of(
            "no request id",
            bad(b -> b.setRequest(ref().toBuilder().setRequestId(""))),
            "invalid_request"),
        Arguments.of(
            "tenant with a colon",
            bad(b -> b.setRequest(ref().toBuilder().setTenant("acme:x"))),
            "invalid_request"),
        Arguments.of("no prompt", bad(PrefillRequest.Builder::clearPrompt), "invalid_request"),
        Arguments.of(
            "empty token ids",
            bad(b -> b.setTokenIds(TokenIds.getDefaultInstance())),
            "invalid_request"),
        Arguments.of(
            "token id outside the vocabulary",
            bad(b -> b.setTokenIds(TokenIds.newBuilder().addIds(1).addIds(512))),
            "invalid_request"),
        Arguments.of("no sampling", bad(PrefillRequest.Builder::clearSampling), "invalid_request"),
        Arguments.of(
            "max_tokens 0",
            bad(b -> b.setSampling(Sampling.newBuilder().setMaxTokens(0))),
            "invalid_request"),
        Arguments.of(
            "top_p above 1",
            bad(b -> b.setSampling(Sampling.newBuilder().setMaxTokens(5).setTopP(1.5))),
            "invalid_request"),
        Arguments.of(
            "prompt longer than the context",
            bad(b -> b.setText("Once upon a time ".repeat(200))),
            "context_length_exceeded"));
  }

  private static PrefillRequest bad(UnaryOperator<PrefillRequest.Builder> edit) {
    return edit.apply(valid()).build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void badInputIsInvalidArgumentNamingTheMeshCode(
      String what, PrefillRequest request, String code) {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> prefill().prefill(request));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
    assertEquals(code, e.getTrailers().get(GrpcStatuses.ERROR_CODE));
  }

  @ParameterizedTest(name = "credential {0}")
  @ValueSource(strings = {"absent", "wrong"})
  void callsWithoutTheMeshCredentialAreRefusedAndDoNoWork(String kind) {
    long keysBefore = dbsize();
    double prefillsBefore = meters.get("mesh.worker.ttft").tag("mode", "prefill").timer().count();
    PrefillGrpc.PrefillBlockingStub prefill =
        PrefillGrpc.newBlockingStub(anonymous).withDeadlineAfter(30, TimeUnit.SECONDS);
    WorkerStatusGrpc.WorkerStatusBlockingStub status =
        WorkerStatusGrpc.newBlockingStub(anonymous).withDeadlineAfter(5, TimeUnit.SECONDS);
    if (kind.equals("wrong")) {
      prefill = prefill.withCallCredentials(new MeshCallCredentials(MeshCredential.random()));
      status = status.withCallCredentials(new MeshCallCredentials(MeshCredential.random()));
    }
    PrefillGrpc.PrefillBlockingStub refusedPrefill = prefill;
    WorkerStatusGrpc.WorkerStatusBlockingStub refusedStatus = status;
    for (StatusRuntimeException e :
        List.of(
            assertThrows(
                StatusRuntimeException.class, () -> refusedPrefill.prefill(valid().build())),
            assertThrows(
                StatusRuntimeException.class,
                () -> refusedStatus.load(LoadRequest.getDefaultInstance())))) {
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.toString());
      assertEquals("unauthenticated", e.getTrailers().get(GrpcStatuses.ERROR_CODE));
    }

    assertEquals(keysBefore, dbsize(), "no KV written");
    assertEquals(
        prefillsBefore,
        meters.get("mesh.worker.ttft").tag("mode", "prefill").timer().count(),
        "no prefill served");
    LoadReply load =
        WorkerStatusGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .load(LoadRequest.getDefaultInstance());
    assertEquals(0, load.getLiveSequences(), "nothing leaked");
  }

  @Test
  void serverReflectionStaysOpenWithoutACredential() throws Exception {
    CompletableFuture<ServerReflectionResponse> reply = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(anonymous)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {
                    reply.complete(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    reply.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    List<String> services =
        reply.get(5, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
            .map(ServiceResponse::getName)
            .toList();
    assertTrue(services.contains("coemesh.worker.v1.Prefill"), services.toString());
  }

  @Test
  void loadReportsAnIdleEngineWithEveryBlockBack() {
    prefill().prefill(valid().build());
    LoadReply load =
        WorkerStatusGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .load(LoadRequest.getDefaultInstance());
    assertEquals(0, load.getLiveSequences());
    assertEquals(0, load.getRunningSequences());
    assertEquals(1024, load.getTotalKvBlocks());
  }
}
