package dev.coemesh.gateway.auth;

import dev.coemesh.core.config.ConfigWatcher;
import dev.coemesh.core.tenant.Tenant;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The tenants in force now ({@link TenantTable}): from configuration properties, and from a tenants
 * file that is watched and reloaded without a restart. A valid change swaps the whole table
 * atomically: requests already authenticated keep their tenant (and its limits as they were); new
 * requests see the new keys, weights and limits. An invalid change (bad YAML, a bad digest, a
 * negative limit, a key shared by two tenants) keeps the table in force, is logged, and shows in
 * {@link #reloadStatus()} and the {@code mesh_tenants_config_reloads_total{result="rejected"}}
 * counter.
 *
 * <p>Thread-safe.
 */
public final class TenantDirectory implements AutoCloseable {
  private final AtomicReference<TenantTable> current;
  private final ConfigWatcher<TenantsFile> watcher; // null: no file, the table never changes

  /** Fixed tenants (from configuration properties). */
  public TenantDirectory(TenantTable table) {
    this.current = new AtomicReference<>(Objects.requireNonNull(table, "table"));
    this.watcher = null;
  }

  /**
   * Tenants from {@code file}, loaded now (an invalid file throws {@code CONFIG_INVALID}) and
   * checked for changes every {@code interval}.
   *
   * @param build the table a file gives; throws {@code MeshException} to reject it
   */
  public TenantDirectory(Path file, Duration interval, Function<TenantsFile, TenantTable> build) {
    this.current = new AtomicReference<>();
    ConfigWatcher<TenantsFile> w =
        new ConfigWatcher<>(
            "tenants file",
            file,
            interval,
            TenantsFile::load,
            next -> current.set(build.apply(next)));
    try {
      current.compareAndSet(null, build.apply(w.current()));
    } catch (RuntimeException e) {
      w.close(); // the start fails: stop polling
      throw e;
    }
    this.watcher = w;
  }

  /** The table in force: authenticate and resolve a request's priority on the same one. */
  public TenantTable table() {
    return current.get();
  }

  /** {@link ApiKeyAuthenticator#authenticateHeader} on the table in force. */
  public Tenant authenticateHeader(String authorization) {
    return table().authenticator().authenticateHeader(authorization);
  }

  /** The tenants that have a key now. */
  public List<Tenant> tenants() {
    return table().authenticator().tenants();
  }

  /**
   * How the tenants file's reloads went since start.
   *
   * @param reloads changes applied
   * @param rejected changes refused (the previous tenants stayed in force)
   * @param lastError why the latest change was refused, or null when the file in force is the
   *     latest
   */
  public record ReloadStatus(String file, long reloads, long rejected, String lastError) {}

  /** Empty without a tenants file. */
  public Optional<ReloadStatus> reloadStatus() {
    return watcher == null
        ? Optional.empty()
        : Optional.of(
            new ReloadStatus(
                watcher.file().toString(),
                watcher.reloads(),
                watcher.rejections(),
                watcher.lastError()));
  }

  /** Reloads now if the file changed (tests; the watcher also polls on its own). */
  public void check() {
    if (watcher != null) {
      watcher.check();
    }
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.close();
    }
  }
}
