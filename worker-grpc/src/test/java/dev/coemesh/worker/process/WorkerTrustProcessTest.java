package dev.coemesh.worker.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.worker.auth.MeshCallCredentials;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.rpc.GrpcStatuses;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.v1.ColocatedGrpc;
import dev.coemesh.worker.v1.Finished;
import dev.coemesh.worker.v1.GenerateRequest;
import dev.coemesh.worker.v1.LoadReply;
import dev.coemesh.worker.v1.LoadRequest;
import dev.coemesh.worker.v1.RequestRef;
import dev.coemesh.worker.v1.Sampling;
import dev.coemesh.worker.v1.TokenReply;
import dev.coemesh.worker.v1.WorkerStatusGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trust boundary of a plain {@code WorkerServer} process: only holders of the mesh credential
 * are served, and prefix-cache reuse stays within the cache scope a request names.
 */
class WorkerTrustProcessTest {
  /** Spans at least one full 16-token block with the 512-token vocabulary. */
  private static final String PROMPT =
      "Once upon a time, there was a little girl named Lily. She loved to play outside.";

  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final MeshCredential CREDENTIAL = MeshCredential.random();
  private static WorkerProcess worker;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() {
    worker =
        WorkerProcess.start("decode", List.of(), List.of("-Xmx256m"), args(), DEADLINE, CREDENTIAL);
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", worker.port()).usePlaintext().build();
  }

  private static List<String> args(String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--role",
                "decode",
                "--model",
                SharedModels.file(SharedModels.STORIES_260K_BIN).toString(),
                "--tokenizer",
                SharedModels.file(SharedModels.STORIES_260K_TOKENIZER).toString(),
                "--redis",
                "memory",
                "--calibration-tokens",
                "0"));
    args.addAll(List.of(more));
    return args;
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (worker != null) {
      worker.close();
    }
  }

  private static ColocatedGrpc.ColocatedBlockingStub colocated(MeshCredential presented) {
    ColocatedGrpc.ColocatedBlockingStub stub =
        ColocatedGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    return presented == null ? stub : stub.withCallCredentials(new MeshCallCredentials(presented));
  }

  private static WorkerStatusGrpc.WorkerStatusBlockingStub status(MeshCredential presented) {
    WorkerStatusGrpc.WorkerStatusBlockingStub stub =
        WorkerStatusGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    return presented == null ? stub : stub.withCallCredentials(new MeshCallCredentials(presented));
  }

  private static GenerateRequest generate(RequestRef ref) {
    return GenerateRequest.newBuilder()
        .setRequest(ref)
        .setText(PROMPT)
        .setSampling(Sampling.newBuilder().setMaxTokens(3))
        .build();
  }

  /** Runs a generation to its end; returns the Finished event. */
  private static Finished serve(RequestRef ref) {
    Iterator<TokenReply> replies = colocated(CREDENTIAL).generate(generate(ref));
    while (true) {
      TokenReply r = replies.next();
      if (r.hasFinished()) {
        return r.getFinished();
      }
    }
  }

  private static RequestRef ref(String tenant) {
    return WorkerMessages.ref(RequestId.random(), new TenantId(tenant));
  }

  private static RequestRef shared(String tenant) {
    return WorkerMessages.ref(RequestId.random(), new TenantId(tenant), BlockHashes.ROOT);
  }

  private static void assertRefused(StatusRuntimeException e) {
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.toString());
    assertEquals("unauthenticated", e.getTrailers().get(GrpcStatuses.ERROR_CODE));
  }

  @ParameterizedTest(name = "credential {0}")
  @ValueSource(strings = {"absent", "wrong"})
  void callsWithoutTheMeshCredentialAreRefusedBeforeAnyWork(String kind) {
    MeshCredential presented = kind.equals("absent") ? null : MeshCredential.random();
    String tenant = "refused-" + kind;
    StatusRuntimeException generate =
        assertThrows(
            StatusRuntimeException.class,
            () -> colocated(presented).generate(generate(ref(tenant))).next());
    assertRefused(generate);
    assertRefused(
        assertThrows(
            StatusRuntimeException.class,
            () -> status(presented).load(LoadRequest.getDefaultInstance())));

    LoadReply load = status(CREDENTIAL).load(LoadRequest.getDefaultInstance());
    assertEquals(0, load.getLiveSequences(), "nothing leaked");
    assertEquals(0, load.getRunningSequences() + load.getWaitingSequences());
    Finished first = serve(ref(tenant));
    assertEquals("length", first.getFinishReason(), "the credential holder is served");
    assertEquals(
        0,
        first.getUsage().getCachedPromptTokens(),
        "the refused call never ran: it cached no prefix for its tenant");
  }

  @Test
  void prefixReuseStaysWithinATenantUnlessTheRequestNamesTheSharedRoot() {
    int prompt = serve(ref("acme")).getUsage().getPromptTokens();
    int reusable = (prompt - 1) / 16 * 16;
    assertTrue(reusable >= 16, "the prompt spans a full block: " + prompt);
    assertEquals(reusable, serve(ref("acme")).getUsage().getCachedPromptTokens(), "same tenant");
    assertEquals(0, serve(ref("globex")).getUsage().getCachedPromptTokens(), "another tenant");

    assertEquals(0, serve(shared("acme")).getUsage().getCachedPromptTokens());
    assertEquals(
        reusable,
        serve(shared("globex")).getUsage().getCachedPromptTokens(),
        "the shared root is one scope for every tenant");
  }

  @Test
  void aWorkerWhoseCredentialFileIsMissingDoesNotStart() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                WorkerProcess.start(
                    "no-credential",
                    List.of(),
                    List.of(),
                    args("--credential-file", Path.of("/nonexistent/mesh-token").toString()),
                    DEADLINE));
    assertTrue(
        e.getMessage()
            .contains(
                "worker not started: cannot read the mesh credential file /nonexistent/mesh-token"),
        e.getMessage());
  }
}
