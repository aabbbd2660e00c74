package dev.coemesh.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigWatcherTest {

  /** The config is the file's text; "bad…" fails to load. */
  static String load(Path file) {
    try {
      String text = Files.readString(file);
      if (text.startsWith("bad")) {
        throw new MeshException(ErrorCode.CONFIG_INVALID, file.getFileName() + ": " + text);
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void appliesAGoodChangeAndKeepsTheOldConfigOnABadOne(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "one");
    List<String> applied = new ArrayList<>();
    try (ConfigWatcher<String> w =
        new ConfigWatcher<>(
            "test config", file, Duration.ofHours(1), ConfigWatcherTest::load, applied::add)) {
      assertEquals("one", w.current());
      w.check();
      assertEquals(List.of(), applied, "an unchanged file is not reloaded");

      Files.writeString(file, "two");
      w.check();
      assertEquals("two", w.current());
      assertEquals(1, w.reloads());

      Files.writeString(file, "bad edit");
      w.check();
      assertEquals("two", w.current(), "the bad file did not replace the good one");
      assertEquals("c.yaml: bad edit", w.lastError());
      assertEquals(1, w.rejections());
      w.check();
      assertEquals(1, w.rejections(), "a rejected file is not reported again until it changes");

      Files.writeString(file, "three");
      w.check();
      assertEquals("three", w.current());
      assertNull(w.lastError());
      assertEquals(List.of("two", "three"), applied);
    }
  }

  @Test
  void aRefusingConsumerKeepsTheOldConfig(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "one");
    try (ConfigWatcher<String> w =
        new ConfigWatcher<>(
            "test config",
            file,
            Duration.ofHours(1),
            ConfigWatcherTest::load,
            next -> {
              throw new MeshException(ErrorCode.CONFIG_INVALID, "refused " + next);
            })) {
      Files.writeString(file, "two");
      w.check();
      assertEquals("one", w.current());
      assertEquals("refused two", w.lastError());
    }
  }

  /**
   * Kubernetes mounts a Secret as {@code file -> ..data/file}, {@code ..data -> ..<timestamp>/},
   * and updates it by writing a new directory and swapping the {@code ..data} link. The new file
   * may have the same size and an older modification time than the old one; only its content
   * differs.
   */
  @Test
  void seesASecretStyleSymlinkSwap(@TempDir Path dir) throws Exception {
    Path v1 = Files.createDirectory(dir.resolve("..2026_01_01_v1"));
    Path v2 = Files.createDirectory(dir.resolve("..2026_01_02_v2"));
    Files.writeString(v1.resolve("c.yaml"), "one");
    Files.writeString(v2.resolve("c.yaml"), "two"); // same size
    FileTime older = FileTime.fromMillis(1_000_000);
    Files.setLastModifiedTime(v2.resolve("c.yaml"), older);
    Files.setLastModifiedTime(v1.resolve("c.yaml"), FileTime.fromMillis(2_000_000));
    Path data = dir.resolve("..data");
    Files.createSymbolicLink(data, v1.getFileName());
    Path file = dir.resolve("c.yaml");
    Files.createSymbolicLink(file, Path.of("..data", "c.yaml"));

    try (ConfigWatcher<String> w =
        new ConfigWatcher<>(
            "test config", file, Duration.ofHours(1), ConfigWatcherTest::load, c -> {})) {
      assertEquals("one", w.current());
      // the atomic swap: a new link renamed over ..data
      Path next = dir.resolve("..data_tmp");
      Files.createSymbolicLink(next, v2.getFileName());
      Files.move(next, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      w.check();
      assertEquals("two", w.current());
      assertEquals(1, w.reloads());
    }
  }

  @Test
  void aMissingFileFailsTheStartAndAVanishedOneKeepsTheConfig(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.yaml");
    assertThrows(
        UncheckedIOException.class,
        () ->
            new ConfigWatcher<>(
                "test config", file, Duration.ofHours(1), ConfigWatcherTest::load, c -> {}));
    Files.writeString(file, "one");
    try (ConfigWatcher<String> w =
        new ConfigWatcher<>(
            "test config", file, Duration.ofHours(1), ConfigWatcherTest::load, c -> {})) {
      Files.delete(file);
      w.check();
      assertEquals("one", w.current());
      assertEquals(0, w.rejections());
    }
  }
}
