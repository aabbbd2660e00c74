package dev.coemesh.core.config;

import dev.coemesh.core.error.MeshException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Hot reload of a config file (routing config, tenants file). The current config is swapped
 * atomically, so requests in flight keep the config they started with and new ones see the new one;
 * nothing is dropped. A new file that fails to load leaves the old config in force and its error
 * readable in {@link #lastError()}; so does a change the consumer rejects by throwing {@code
 * MeshException}.
 *
 * <p>Polls the file's content (a SHA-256 of its bytes), not its inode or modification time alone:
 * Kubernetes mounts ConfigMaps and Secrets as symlinks that it swaps atomically to a new directory,
 * where a file of the same size may even carry an older timestamp; reading through the symlink
 * always sees what a fresh open would. Config files are small, so reading one every few seconds
 * costs nothing.
 *
 * @param <T> the parsed config
 */
public final class ConfigWatcher<T> implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ConfigWatcher.class.getName());

  private final Path file;
  private final String what;
  private final Function<Path, T> loader;
  private final AtomicReference<T> current;
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private final AtomicLong reloads = new AtomicLong();
  private final AtomicLong rejections = new AtomicLong();
  private final Consumer<T> onChange;
  private final ScheduledExecutorService poller;
  private byte[] seen; // digest of the content last loaded or rejected; guarded by this

  /**
   * Loads the file now (throwing if it is invalid), then checks for changes every {@code interval}.
   *
   * @param what a name for logs and the poller thread, e.g. {@code "routing config"}
   * @param loader parses the file; throws {@code MeshException} (naming the problem) when invalid
   * @param onChange applies a newly loaded config; may throw {@code MeshException} to refuse it
   */
  public ConfigWatcher(
      String what, Path file, Duration interval, Function<Path, T> loader, Consumer<T> onChange) {
    this.what = Objects.requireNonNull(what, "what");
    this.file = Objects.requireNonNull(file, "file");
    this.loader = Objects.requireNonNull(loader, "loader");
    this.onChange = Objects.requireNonNull(onChange, "onChange");
    this.seen = digest();
    this.current = new AtomicReference<>(loader.apply(file));
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name(what.replace(' ', '-')).unstarted(r));
    poller.scheduleWithFixedDelay(
        this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  public T current() {
    return current.get();
  }

  public Path file() {
    return file;
  }

  /** Why the latest change was rejected, or null when the latest file is in force. */
  public String lastError() {
    return lastError.get();
  }

  /** Changes applied since start (the first load not included). */
  public long reloads() {
    return reloads.get();
  }

  /** Changes rejected since start: the old config stayed in force. */
  public long rejections() {
    return rejections.get();
  }

  /** Reloads if the file's content changed; runs on the poller, callable directly. */
  public synchronized void check() {
    byte[] digest = digest();
    if (digest == null || Arrays.equals(digest, seen)) {
      // unreadable: mid-swap or removed; the config in force stays, and the next poll looks again
      return;
    }
    seen = digest;
    try {
      T next = loader.apply(file);
      onChange.accept(next); // first, so a consumer that cannot apply it keeps both on the old one
      current.set(next);
      lastError.set(null);
      reloads.incrementAndGet();
    } catch (MeshException e) {
      lastError.set(e.getMessage());
      rejections.incrementAndGet();
      LOG.warning(what + " not reloaded, keeping the previous one: " + e.getMessage());
    }
  }

  /** SHA-256 of the file's bytes (following symlinks), or null when it cannot be read now. */
  private byte[] digest() {
    try {
      return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
    } catch (IOException e) {
      return null;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
