package dev.coemesh.gateway.grpc;

import static dev.coemesh.gateway.testing.Gateway.CONTINUATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.gateway.error.GrpcErrors;
import dev.coemesh.gateway.fair.VtcScheduler;
import dev.coemesh.gateway.grpc.v1.ChatMessage;
import dev.coemesh.gateway.grpc.v1.GenerateRequest;
import dev.coemesh.gateway.grpc.v1.GenerateResponse;
import dev.coemesh.gateway.grpc.v1.InferenceGrpc;
import dev.coemesh.gateway.grpc.v1.ListModelsRequest;
import dev.coemesh.gateway.grpc.v1.Model;
import dev.coemesh.gateway.orchestrate.ExpertDirectory;
import dev.coemesh.gateway.orchestrate.RequestOrchestrator;
import dev.coemesh.gateway.testing.Gateway;
import dev.coemesh.testkit.quarkus.FreeGrpcPort;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code coemesh.v1.Inference} over a real gRPC channel on the gateway's HTTP port. */
@QuarkusTest
@QuarkusTestResource(FreeGrpcPort.class)
class GrpcInferenceTest {
  @Inject RequestOrchestrator orchestrator;
  @Inject ExpertDirectory experts;
  @Inject VtcScheduler fair;
  @Inject MeterRegistry meters;

  ManagedChannel channel;

  @BeforeEach
  void connect() {
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", FreeGrpcPort.port()).usePlaintext().build();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  InferenceGrpc.InferenceBlockingStub stub(String key) {
    Metadata auth = new Metadata();
    if (key != null) {
      auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
    }
    return InferenceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static GenerateRequest greedy(String prompt, int maxTokens) {
    return GenerateRequest.newBuilder()
        .setPrompt(prompt)
        .setMaxTokens(maxTokens)
        .setTemperature(0)
        .build();
  }

  @Test
  void generateStreamsOneMessagePerTokenThenFinished() {
    List<GenerateResponse> out = new ArrayList<>();
    stub(Gateway.DEFAULT_KEY).generate(greedy("Once upon a time", 26)).forEachRemaining(out::add);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < out.size() - 1; i++) {
      assertEquals(GenerateResponse.EventCase.TOKEN, out.get(i).getEventCase());
      assertEquals(i, out.get(i).getToken().getIndex());
      assertEquals("stories260k", out.get(i).getModel());
      text.append(out.get(i).getToken().getText());
    }
    assertEquals(27, out.size());
    assertEquals(CONTINUATION, text.toString());
    GenerateResponse last = out.getLast();
    assertEquals("length", last.getFinished().getFinishReason());
    assertEquals(5, last.getFinished().getUsage().getPromptTokens());
    assertEquals(26, last.getFinished().getUsage().getCompletionTokens());
  }

  @Test
  void chatMessagesAndStopsWorkAsInRest() {
    List<GenerateResponse> out = new ArrayList<>();
    stub(Gateway.DEFAULT_KEY)
        .generate(
            GenerateRequest.newBuilder()
                .setModel("stories260k-gguf")
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent("Hi"))
                .setMaxTokens(8)
                .setTemperature(0)
                .build())
        .forEachRemaining(out::add);
    assertEquals("stories260k-gguf", out.getLast().getModel());
    assertTrue(out.getLast().hasFinished());
  }

  @Test
  void listModelsNamesEveryExpertAndAuto() {
    List<String> ids = new ArrayList<>();
    for (Model m :
        stub(Gateway.DEFAULT_KEY)
            .listModels(ListModelsRequest.getDefaultInstance())
            .getModelsList()) {
      ids.add(m.getId());
    }
    assertEquals(List.of("stories260k", "stories260k-gguf", "auto"), ids);
  }

  @Test
  void errorsMapToGrpcStatuses() {
    record Case(String key, GenerateRequest request, Status.Code code, String wire) {}
    List<Case> cases =
        List.of(
            new Case(null, greedy("a", 1), Status.Code.UNAUTHENTICATED, "unauthenticated"),
            new Case("wrong", greedy("a", 1), Status.Code.UNAUTHENTICATED, "unauthenticated"),
            new Case(
                Gateway.DEFAULT_KEY,
                GenerateRequest.newBuilder().setMaxTokens(1).build(),
                Status.Code.INVALID_ARGUMENT,
                "invalid_request"),
            new Case(
                Gateway.DEFAULT_KEY,
                greedy("a", 1).toBuilder().setModel("nope").build(),
                Status.Code.NOT_FOUND,
                "model_not_found"),
            new Case(
                Gateway.DEFAULT_KEY,
                greedy("a", 1).toBuilder().setTemperature(9).build(),
                Status.Code.INVALID_ARGUMENT,
                "invalid_request"),
            new Case(
                Gateway.DEFAULT_KEY,
                greedy("the cat sat. ".repeat(300), 0),
                Status.Code.INVALID_ARGUMENT,
                "context_length_exceeded"));
    for (Case c : cases) {
      Iterator<GenerateResponse> it = stub(c.key).generate(c.request);
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, it::hasNext);
      assertEquals(c.code, e.getStatus().getCode(), c.toString());
      assertEquals(c.wire, e.getTrailers().get(GrpcErrors.ERROR_CODE), c.toString());
    }
  }

  @Test
  void maxTokensOf2To31OrMoreIsAnInvalidArgumentWithTheMeshErrorCode() {
    double refusedBefore = refused("invalid_request");
    // uint32 on the wire: 2^31 arrives as a negative int
    for (int maxTokens : new int[] {Integer.MIN_VALUE, -1}) {
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  stub(Gateway.DEFAULT_KEY)
                      .generate(
                          GenerateRequest.newBuilder()
                              .setPrompt("Once upon a time")
                              .setMaxTokens(maxTokens)
                              .build())
                      .next());
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertEquals("invalid_request", e.getTrailers().get(GrpcErrors.ERROR_CODE));
      String description = e.getStatus().getDescription();
      assertTrue(
          description.contains(Integer.toUnsignedString(maxTokens))
              && !description.contains("java.lang"),
          description);
    }
    assertEquals(refusedBefore + 2, refused("invalid_request"), "counted as requests");
  }

  private double refused(String outcome) {
    var c =
        meters
            .find("mesh.gateway.requests")
            .tag("expert", "none")
            .tag("outcome", outcome)
            .counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void cancellingTheCallCancelsTheGenerationAndFreesItsKvBlocks() throws Exception {
    double before = cancelled();
    Context.CancellableContext call = Context.current().withCancellation();
    Iterator<GenerateResponse> it =
        call.call(
            () ->
                stub(Gateway.DEFAULT_KEY)
                    .generate(
                        GenerateRequest.newBuilder()
                            .setPrompt("Once upon a time")
                            .setMaxTokens(500)
                            .setSeed(3)
                            .build()));
    assertTrue(it.next().hasToken()); // the generation is running
    call.cancel(null);
    Gateway.awaitIdle(orchestrator, experts, fair);
    assertEquals(before + 1, cancelled());
  }

  @Test
  void serverReflectionListsTheInferenceService() throws Exception {
    CompletableFuture<List<String>> services = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {
                    List<String> names = new ArrayList<>();
                    r.getListServicesResponse()
                        .getServiceList()
                        .forEach(s -> names.add(s.getName()));
                    services.complete(names);
                  }

                  @Override
                  public void onError(Throwable t) {
                    services.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    List<String> names = services.get(10, TimeUnit.SECONDS);
    requests.onCompleted();
    assertTrue(names.contains("coemesh.v1.Inference"), names.toString());
  }

  double cancelled() {
    var c =
        meters
            .find("mesh.gateway.requests")
            .tag("expert", "stories260k")
            .tag("outcome", "cancelled")
            .counter();
    return c == null ? 0 : c.count();
  }
}
