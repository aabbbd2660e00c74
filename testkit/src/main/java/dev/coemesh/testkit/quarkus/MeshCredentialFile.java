package dev.coemesh.testkit.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Gives the test app a fresh random mesh credential in a file, as a mounted Secret would, through
 * {@code mesh.worker.credential-file}; tests present the same file's token to call the app.
 */
public class MeshCredentialFile implements QuarkusTestResourceLifecycleManager {
  public static final String KEY = "mesh.worker.credential-file";

  private Path file;

  @Override
  public Map<String, String> start() {
    byte[] token = new byte[32];
    new SecureRandom().nextBytes(token);
    try {
      file = Files.createTempFile("mesh-credential", "");
      Files.writeString(file, HexFormat.of().formatHex(token) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Map.of(KEY, file.toString());
  }

  @Override
  public void stop() {
    try {
      if (file != null) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The credential file of the running test app. */
  public static Path path() {
    return Path.of(ConfigProvider.getConfig().getValue(KEY, String.class));
  }
}
