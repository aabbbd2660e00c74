package dev.coemesh.pool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's AOT cache ({@code infra/aot.sh}, sourced by {@code ./mesh}): the first run of a
 * classpath records it, the next maps it (the JVM says so), a rebuilt jar makes the next run record
 * a new one in place of the old, and {@code MESH_AOT=off} runs without.
 */
class LauncherAotCacheTest {
  /** The program the launcher runs in these tests. */
  public static final class Probe {
    public static void main(String[] args) {
      System.out.println("probe ran");
    }
  }

  private record Result(int exitCode, String stdout, String stderr) {}

  @TempDir Path dir;

  @Test
  void recordsOnceThenMapsAndRecordsAgainWhenAJarChanges() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash");
    Path jar = probeJar();
    Path caches = dir.resolve("aot");

    Result first = launch(jar, "verbose", caches);
    assertEquals(0, first.exitCode(), first.stderr());
    assertEquals("probe ran\n", first.stdout());
    assertTrue(first.stderr().contains("mesh: AOT cache created: "), first.stderr());
    List<Path> recorded = files(caches);
    assertEquals(1, recorded.size(), recorded.toString());
    assertTrue(
        recorded
            .getFirst()
            .getFileName()
            .toString()
            .matches("probe-[0-9a-f]{8}-[0-9a-f]{8}\\.aot"));

    Result second = launch(jar, "verbose", caches);
    assertEquals(0, second.exitCode(), second.stderr());
    assertEquals("probe ran\n", second.stdout());
    assertTrue(
        second.stderr().contains("mesh: AOT cache used: " + recorded.getFirst()), second.stderr());
    assertTrue(
        second.stderr().contains("Opened AOT cache " + recorded.getFirst()), second.stderr());
    assertFalse(second.stderr().contains("recording"), second.stderr());

    // a rebuilt jar: same path, new time stamp; the JVM would refuse the old cache
    Files.setLastModifiedTime(
        jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 10_000));
    Result third = launch(jar, "verbose", caches);
    assertEquals(0, third.exitCode(), third.stderr());
    assertTrue(third.stderr().contains("mesh: AOT cache created: "), third.stderr());
    List<Path> rebuilt = files(caches);
    assertEquals(1, rebuilt.size(), "the stale cache is removed: " + rebuilt);
    assertNotEquals(recorded.getFirst(), rebuilt.getFirst());
  }

  @Test
  void otherJvmOptionsKeepACacheOfTheirOwn() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash");
    Path jar = probeJar();
    Path caches = dir.resolve("aot");
    assertEquals(0, launch(jar, "on", caches).exitCode());
    Result other = launch(jar, "verbose", caches, "-Xss2m");
    assertTrue(other.stderr().contains("mesh: AOT cache created: "), other.stderr());
    assertEquals(2, files(caches).size(), "both option sets keep their cache: " + files(caches));
    Result again = launch(jar, "verbose", caches);
    assertTrue(again.stderr().contains("mesh: AOT cache used: "), again.stderr());
  }

  @Test
  void offRunsWithoutACache() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash");
    Path caches = dir.resolve("aot");
    Result off = launch(probeJar(), "off", caches);
    assertEquals(0, off.exitCode(), off.stderr());
    assertEquals("probe ran\n", off.stdout());
    assertFalse(off.stderr().contains("AOT cache"), off.stderr());
    assertFalse(Files.exists(caches));
  }

  @Test
  void aClassesFolderOnTheClasspathRunsWithoutACache() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash");
    Path caches = dir.resolve("aot");
    Path classes = Path.of(Probe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Result run = launch(classes, "verbose", caches);
    assertEquals(0, run.exitCode(), run.stderr());
    assertEquals("probe ran\n", run.stdout());
    assertTrue(run.stderr().contains("no AOT cache for probe"), run.stderr());
    assertFalse(Files.exists(caches));
  }

  /** A jar holding only {@link Probe}. */
  private Path probeJar() throws Exception {
    Path classes = Path.of(Probe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    String entry = Probe.class.getName().replace('.', '/') + ".class";
    Path jar = dir.resolve("probe.jar");
    ToolProvider tool = ToolProvider.findFirst("jar").orElseThrow();
    int rc =
        tool.run(
            System.out,
            System.err,
            "--create",
            "--file",
            jar.toString(),
            "-C",
            classes.toString(),
            entry);
    assertEquals(0, rc, "jar tool failed");
    return jar;
  }

  private Result launch(Path classpath, String mode, Path caches)
      throws IOException, InterruptedException {
    return launch(classpath, mode, caches, "");
  }

  private Result launch(Path classpath, String mode, Path caches, String javaOpts)
      throws IOException, InterruptedException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    String script =
        "set -euo pipefail; ROOT=\"$1\"; JAVA_OPTS_MESH=(); . \"$ROOT/infra/aot.sh\";"
            + " aot_java probe \"$2\" -cp \"$2\" \"$3\"";
    ProcessBuilder pb =
        new ProcessBuilder(
            "/bin/bash",
            "-c",
            script,
            "aot-test",
            root.toString(),
            classpath.toString(),
            Probe.class.getName());
    String javaHome = System.getProperty("java.home");
    pb.environment().put("JAVA_HOME", javaHome);
    pb.environment().put("PATH", javaHome + "/bin:" + System.getenv("PATH"));
    pb.environment().put("MESH_AOT", mode);
    pb.environment().put("MESH_AOT_DIR", caches.toString());
    pb.environment().put("MESH_JAVA_OPTS", javaOpts);
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Path err = dir.resolve("stderr.txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    return new Result(rc, out, Files.readString(err, StandardCharsets.UTF_8));
  }

  private static List<Path> files(Path caches) throws IOException {
    try (Stream<Path> s = Files.list(caches)) {
      return s.sorted().toList();
    }
  }
}
