package dev.coemesh.gateway.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.router.replica.ReplicaRegistry;
import dev.coemesh.router.replica.ReplicaView;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.process.WorkerProcess;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Seeds ({@code mesh.serving.remote.seeds}) against a real worker process started without Kafka:
 * the router's registry learns the replica, its endpoint, fingerprint and load from polling alone;
 * a seed naming the wrong role or weights is refused; a killed seed stops reporting and expires.
 */
class SeedProbeTest {
  private static final MeshCredential CREDENTIAL = MeshCredential.random();
  private static final ExpertId STORIES = new ExpertId("stories");
  private static WorkerProcess worker;
  private static long fingerprint;

  @BeforeAll
  static void start() {
    worker = startWorker("seed", "colocated");
    fingerprint =
        ModelLoader.load(
                SharedModels.file(SharedModels.STORIES_260K_BIN),
                SharedModels.file(SharedModels.STORIES_260K_TOKENIZER))
            .fingerprint()
            .value();
  }

  /** A stories260K worker of {@code role} without Kafka (96 KV blocks, in-process KV store). */
  private static WorkerProcess startWorker(String name, String role) {
    return WorkerProcess.start(
        name,
        List.of(),
        List.of("-Xmx256m"),
        List.of(
            "--role",
            role,
            "--model",
            SharedModels.file(SharedModels.STORIES_260K_BIN).toString(),
            "--tokenizer",
            SharedModels.file(SharedModels.STORIES_260K_TOKENIZER).toString(),
            "--kv-blocks",
            "96",
            "--redis",
            "memory",
            "--calibration-tokens",
            "0"),
        Duration.ofSeconds(30),
        CREDENTIAL);
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
  }

  private static WorkerChannels channels() {
    return new WorkerChannels(Duration.ofSeconds(10), () -> CREDENTIAL);
  }

  @Test
  void aSeededWorkerIsKnownWithItsEndpointFingerprintAndLoadWithoutAnySignalBus() throws Exception {
    ReplicaRegistry registry = registry();
    String endpoint = "127.0.0.1:" + worker.port();
    ReplicaId id = new ReplicaId(STORIES, ReplicaRole.COLOCATED, "w0");
    try (WorkerChannels channels = channels();
        SeedProbe probe =
            new SeedProbe(
                List.of(SeedProbe.Seed.parse("stories/colocated/w0@" + endpoint)),
                channels,
                e -> fingerprint,
                registry::onLoad,
                Duration.ofMillis(100),
                Clock.systemUTC())) {
      await(() -> registry.find(id) != null);
      ReplicaView view = registry.find(id);
      assertEquals(endpoint, view.endpoint());
      assertEquals(fingerprint, view.modelFingerprint());
      assertEquals(96, view.kvBlocksUsed() + view.kvBlocksFree(), "the worker's pool, as polled");
      assertEquals(0, view.load());
    }
  }

  @Test
  void aSeedOnAnotherRoleOrOtherWeightsIsRefusedAndAnUnreachableOneNeverReports() throws Exception {
    List<SignalEvent.LoadReport> reports = new CopyOnWriteArrayList<>();
    String endpoint = "127.0.0.1:" + worker.port();
    try (WorkerChannels channels = channels();
        SeedProbe probe =
            new SeedProbe(
                List.of(
                    SeedProbe.Seed.parse("stories/decode/wrong-role@" + endpoint),
                    SeedProbe.Seed.parse("other/colocated/wrong-weights@" + endpoint),
                    SeedProbe.Seed.parse("stories/colocated/right@" + endpoint),
                    SeedProbe.Seed.parse("stories/colocated/nobody@127.0.0.1:1")),
                channels,
                e -> e.equals(STORIES) ? fingerprint : fingerprint + 1,
                reports::add,
                Duration.ofMillis(100),
                Clock.systemUTC())) {
      await(() -> reports.size() >= 3);
      for (SignalEvent.LoadReport r : reports) {
        assertEquals("right", r.replica().instance(), "only the seed that matches reports");
      }
    }
  }

  @Test
  void aSeedThatStopsAnsweringExpires() throws Exception {
    WorkerProcess doomed = startWorker("doomed", "prefill");
    ReplicaRegistry registry = registry();
    ReplicaId live = new ReplicaId(STORIES, ReplicaRole.COLOCATED, "live");
    ReplicaId gone = new ReplicaId(STORIES, ReplicaRole.PREFILL, "gone");
    try (WorkerChannels channels = channels();
        SeedProbe probe =
            new SeedProbe(
                List.of(
                    SeedProbe.Seed.parse("stories/colocated/live@127.0.0.1:" + worker.port()),
                    SeedProbe.Seed.parse("stories/prefill/gone@127.0.0.1:" + doomed.port())),
                channels,
                e -> fingerprint,
                registry::onLoad,
                Duration.ofMillis(100),
                Clock.systemUTC())) {
      await(() -> registry.find(gone) != null && registry.find(live) != null);
      doomed.kill();
      // the live seed keeps the signals fresh, so the silent one is judged silent and expires
      await(() -> registry.find(gone) == null);
      assertNotNull(registry.find(live));
    } finally {
      doomed.close();
    }
  }

  @Test
  void malformedSeedsAreRefusedWithTheExpectedShape() {
    for (String bad :
        List.of(
            "stories/colocated/w0",
            "stories/colocated@127.0.0.1:9201",
            "stories/leader/w0@127.0.0.1:9201",
            "stories/colocated/w0@127.0.0.1",
            "stories/colocated/w0@127.0.0.1:port")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> SeedProbe.Seed.parse(bad), bad);
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
    SeedProbe.Seed s = SeedProbe.Seed.parse(" coder/prefill/p-0@[::1]:9201 ");
    assertEquals(new ReplicaId(new ExpertId("coder"), ReplicaRole.PREFILL, "p-0"), s.replica());
    assertEquals("[::1]:9201", s.endpoint());
  }

  private static ReplicaRegistry registry() {
    return new ReplicaRegistry(Duration.ofSeconds(2), 3, Duration.ofSeconds(5), Clock.systemUTC());
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within 30 s");
      }
      Thread.sleep(50);
    }
  }
}
