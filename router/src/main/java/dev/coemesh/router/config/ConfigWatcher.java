package dev.coemesh.router.config;

import dev.coemesh.core.error.MeshException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Hot reload of a routing config file. The current config is swapped atomically, so requests in
 * flight keep the config they started with and new ones see the new one; nothing is dropped. A new
 * file that fails validation leaves the old config in force and its error readable in {@link
 * #lastError()}; so does a change the consumer rejects by throwing {@code MeshException}. Polls the
 * modification time (works on every file system, including the volumes Kubernetes mounts ConfigMaps
 * on).
 */
public final class ConfigWatcher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ConfigWatcher.class.getName());

  private final Path file;
  private final AtomicReference<RoutingConfig> current;
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private final Consumer<RoutingConfig> onChange;
  private final ScheduledExecutorService poller;
  private FileTime seen;
  private long seenSize;

  /**
   * Loads the file now (throwing if it is invalid), then checks for changes every {@code interval}.
   */
  public ConfigWatcher(Path file, Duration interval, Consumer<RoutingConfig> onChange) {
    this.file = file;
    this.onChange = onChange;
    this.current = new AtomicReference<>(RoutingConfigLoader.load(file));
    this.seen = modified();
    this.seenSize = size();
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("routing-config").unstarted(r));
    poller.scheduleWithFixedDelay(
        this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  public RoutingConfig current() {
    return current.get();
  }

  /** Why the latest change was rejected, or null when the latest file is in force. */
  public String lastError() {
    return lastError.get();
  }

  /** Reloads if the file changed; runs on the poller, callable directly. */
  public synchronized void check() {
    FileTime modified = modified();
    long size = size();
    if (modified == null || (modified.equals(seen) && size == seenSize)) {
      return;
    }
    seen = modified;
    seenSize = size;
    try {
      RoutingConfig next = RoutingConfigLoader.load(file);
      onChange.accept(next); // first, so a consumer that cannot apply it keeps both on the old one
      current.set(next);
      lastError.set(null);
    } catch (MeshException e) {
      lastError.set(e.getMessage());
      LOG.warning("routing config not reloaded, keeping the previous one: " + e.getMessage());
    }
  }

  private FileTime modified() {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return null;
    }
  }

  private long size() {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
