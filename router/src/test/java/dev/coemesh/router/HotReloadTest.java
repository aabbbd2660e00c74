package dev.coemesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.coemesh.core.config.ConfigWatcher;
import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.expert.ReplicaRole;
import dev.coemesh.router.classify.SharedEmbedder;
import dev.coemesh.router.config.RoutingConfig;
import dev.coemesh.router.config.RoutingConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HotReloadTest {
  @Test
  void aChangedFileRetrainsWithoutDroppingRequestsAndABadOneKeepsTheOldConfig(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("routing.yaml");
    Files.writeString(file, RouterTest.SMALL);
    try (Router router =
        Router.builder(
                RoutingConfigLoader.parse("other.yaml", RouterTest.SMALL.replace("0.5", "0.45")),
                SharedEmbedder.get())
            .build()) {
      ConfigWatcher<RoutingConfig> watcher = router.watch(file, Duration.ofHours(1));
      assertEquals(0.5, router.config().confidenceThreshold(), "watch() applies the file");
      RouterTest.replica(router, RouterTest.STORIES, ReplicaRole.COLOCATED, "s", 0);
      RouterTest.replica(router, RouterTest.CODER, ReplicaRole.COLOCATED, "c", 0);
      String codePrompt = "Why does my Python loop never terminate?";
      assertEquals(RouterTest.CODER, router.route(RouteRequest.of("a", codePrompt)).expert());

      // Requests keep flowing on 4 threads while the file changes: none may fail.
      AtomicInteger routed = new AtomicInteger();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        threads.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      for (int i = 0; i < 40; i++) {
                        try {
                          router.route(RouteRequest.of("t", codePrompt));
                          routed.incrementAndGet();
                        } catch (Throwable e) {
                          failure.compareAndSet(null, e);
                        }
                      }
                    }));
      }
      write(file, RouterTest.SMALL.replace("code: coder", "code: stories"), 10);
      watcher.check();
      for (Thread t : threads) {
        t.join();
      }
      assertNull(failure.get());
      assertEquals(160, routed.get());
      assertEquals(RouterTest.STORIES, router.route(RouteRequest.of("b", codePrompt)).expert());

      write(file, RouterTest.SMALL.replace("code: coder", "code: nobody"), 20);
      watcher.check();
      assertEquals("routing.yaml:43: routes.code: unknown expert 'nobody'", watcher.lastError());
      assertEquals(
          RouterTest.STORIES,
          router.route(RouteRequest.of("c", codePrompt)).expert(),
          "the bad file left the previous config in force");
      assertEquals(new ExpertId("stories"), router.config().fallbackExpert());
    }
  }

  private static void write(Path file, String text, int secondsLater) throws Exception {
    Files.writeString(file, text);
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(secondsLater)));
  }
}
