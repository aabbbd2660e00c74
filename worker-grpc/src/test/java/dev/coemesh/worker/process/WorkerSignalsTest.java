package dev.coemesh.worker.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.signal.SignalEvent.KvBlockEvent;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.router.replica.ReplicaRegistry;
import dev.coemesh.router.replica.ReplicaView;
import dev.coemesh.signals.kafka.KafkaSignalBus;
import dev.coemesh.signals.kafka.KafkaSignalOptions;
import dev.coemesh.testkit.KafkaBroker;
import dev.coemesh.testkit.KafkaExtension;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.client.StaticPool;
import dev.coemesh.worker.client.WorkerClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Worker processes on a real KRaft broker, seen the way a router sees them: a {@link
 * ReplicaRegistry} fed by a {@link KafkaSignalBus} in this JVM.
 */
@ExtendWith(KafkaExtension.class)
class WorkerSignalsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration EXPIRY = Duration.ofSeconds(2);
  private static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC");

  @Test
  void aWorkerAnnouncesItselfAndTheBlocksItCachesAndExpiresWhenKilled(KafkaBroker kafka)
      throws Exception {
    String prefix = createTopics(kafka);
    ReplicaRegistry registry =
        new ReplicaRegistry(EXPIRY, 3, Duration.ofSeconds(5), Clock.systemUTC());
    List<KvBlockEvent> kvEvents = new CopyOnWriteArrayList<>();
    List<SignalEvent.LoadReport> reports = new CopyOnWriteArrayList<>();
    ReplicaId id = new ReplicaId(new ExpertId("tales"), ReplicaRole.COLOCATED, "tales-a");
    try (KafkaSignalBus router =
        new KafkaSignalBus(
            KafkaSignalOptions.of(kafka.bootstrapServers(), "test-router")
                .withGroupId(prefix + "router")
                .withTopicPrefix(prefix))) {
      router.subscribe(
          SignalEvent.LoadReport.class,
          r -> {
            reports.add(r);
            registry.onLoad(r);
          });
      router.subscribe(
          KvBlockEvent.class,
          e -> {
            kvEvents.add(e);
            registry.onKvEvent(e);
          });
      assertTrue(router.awaitAssignment(WAIT));

      WorkerProcess worker =
          WorkerProcess.start(
              "tales-a",
              List.of(),
              JVM,
              List.of(
                  "--role",
                  "colocated",
                  "--expert",
                  "tales",
                  "--instance",
                  "tales-a",
                  "--redis",
                  "memory",
                  "--calibration-tokens",
                  "0",
                  "--kafka",
                  kafka.bootstrapServers(),
                  "--kafka-topic-prefix",
                  prefix),
              WAIT);
      try {
        awaitUntil(() -> registry.find(id) != null, "the worker's first load report");
        ReplicaView announced = registry.find(id);
        assertEquals("127.0.0.1:" + worker.port(), announced.endpoint());
        assertEquals(storiesFingerprint(), announced.modelFingerprint());
        assertEquals(0, announced.runningSequences());
        assertEquals(1024, announced.kvBlocksUsed() + announced.kvBlocksFree());
        // another topic than the load report's: no order between the two
        awaitUntil(() -> !kvEvents.isEmpty(), "the worker's first KV event");
        assertEquals(KvBlockEvent.Kind.CLEARED, kvEvents.getFirst().kind(), "a fresh cache");

        int[] prompt = prompt(40, 7); // 2 full blocks of 16 and a partial one
        Collected stream = new Collected();
        new StaticPool(List.of(worker.client()), List.of(), List.of())
            .generate(
                RequestId.random(), new TenantId("acme"), prompt, SamplingParams.greedy(4), stream);
        stream.finished();
        // the worker's cache scope is the tenant's: its hashes chain from the tenant's root
        long[] blocks = BlockHashes.chain(BlockHashes.root("acme"), prompt, prompt.length, 16);
        assertEquals(2, blocks.length);
        awaitUntil(
            () -> registry.find(id).matchedPrefixBlocks(blocks) == 2,
            "the router matches the prompt's two blocks on the worker");
        List<Long> stored =
            kvEvents.stream()
                .filter(e -> e.kind() == KvBlockEvent.Kind.STORED)
                .flatMap(e -> e.blockHashes().stream())
                .toList();
        assertEquals(
            Arrays.stream(blocks).boxed().toList(),
            stored,
            "40 prompt + 3 written generated positions: exactly the prompt's 2 blocks");
        awaitUntil(
            () -> reports.getLast().recentTtftMs() > 0 && reports.getLast().recentTpotMs() > 0,
            "a report with the served request's TTFT and TPOT");
        assertTrue(reports.stream().allMatch(r -> r.replica().equals(id)));
      } finally {
        worker.kill();
        worker.close();
      }
      long killed = System.nanoTime();
      // another replica keeps reporting, so the silence is the killed worker's own (a registry
      // keeps every replica while all of them are silent: that is a signal outage)
      ReplicaId witness = new ReplicaId(id.expert(), id.role(), "witness");
      Thread reporter =
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (!Thread.currentThread().isInterrupted()) {
                      registry.onLoad(
                          new SignalEvent.LoadReport(
                              witness, 0, 0, 0, 64, 0, 0, System.currentTimeMillis()));
                      try {
                        Thread.sleep(200);
                      } catch (InterruptedException e) {
                        return;
                      }
                    }
                  });
      try {
        awaitUntil(() -> registry.find(id) == null, "expiry of the killed worker");
      } finally {
        reporter.interrupt();
      }
      assertTrue(
          System.nanoTime() - killed >= EXPIRY.toNanos() - Duration.ofMillis(600).toNanos(),
          "expired by silence, not earlier");
      assertEquals(
          List.of(witness), registry.snapshot(id.expert()).stream().map(ReplicaView::id).toList());
    }
  }

  @Test
  void withoutALifelineTheWorkerOutlivesItsStdinAndStopsCleanlyOnSigterm() throws Exception {
    List<String> command =
        new ArrayList<>(
            WorkerProcess.command(
                List.of(),
                JVM,
                List.of(
                    "--role",
                    "decode",
                    "--lifeline",
                    "none",
                    "--redis",
                    "memory",
                    "--calibration-tokens",
                    "0",
                    "--port",
                    "0")));
    MeshCredential credential = MeshCredential.random();
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(Redirect.from(new java.io.File("/dev/null")))
            .redirectErrorStream(true);
    credential.exportTo(builder.environment());
    Process process = builder.start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line;
      int port = -1;
      while (port < 0 && (line = out.readLine()) != null) {
        if (line.startsWith("LISTENING ")) {
          port = Integer.parseInt(line.substring(10).trim());
        }
      }
      assertTrue(port > 0, "the worker printed its port");
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  while (out.readLine() != null) {
                    // drain, so the worker never blocks on a full pipe
                  }
                } catch (java.io.IOException ignored) {
                  // the process ended
                }
              });
      Thread.sleep(500); // long enough for a stdin lifeline to have ended it
      try (WorkerClient client = WorkerClient.connect("127.0.0.1", port, WAIT, credential)) {
        assertEquals(32, client.load().getMaxRunningSequences(), "still serving");
      }
      assertTrue(process.isAlive());
      process.destroy(); // SIGTERM
      assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the shutdown hook finished");
      assertEquals(143, process.exitValue(), "128 + SIGTERM");
    } finally {
      process.destroyForcibly();
    }
  }

  /** BOS, then ordinary tokens of the 512-token stories vocabulary from a fixed seed. */
  private static int[] prompt(int length, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    return IntStream.range(0, length).map(i -> i == 0 ? 1 : 3 + random.nextInt(500)).toArray();
  }

  private static long storiesFingerprint() {
    return ModelLoader.load(
            SharedModels.file(SharedModels.STORIES_260K_BIN),
            SharedModels.file(SharedModels.STORIES_260K_TOKENIZER))
        .fingerprint()
        .value();
  }

  private static String createTopics(KafkaBroker kafka) throws Exception {
    String prefix = "w" + System.nanoTime() + ".";
    List<NewTopic> topics = new ArrayList<>();
    for (SignalEvent.Topic topic : SignalEvent.Topic.values()) {
      topics.add(new NewTopic(prefix + topic.topicName(), 1, (short) 1));
    }
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      admin.createTopics(topics).all().get();
    }
    return prefix;
  }

  private static void awaitUntil(BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + WAIT + " waiting for: " + what);
      }
      Thread.sleep(20);
    }
  }
}
