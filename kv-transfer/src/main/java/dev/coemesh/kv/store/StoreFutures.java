package dev.coemesh.kv.store;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting on a {@link dev.coemesh.core.spi.KvStore} call from a thread that may block. */
public final class StoreFutures {
  private StoreFutures() {}

  /**
   * The call's result within {@code timeout}. A store's own typed failure passes through; any other
   * failure, and the timeout (which cancels the call), become {@code KV_STORE_UNAVAILABLE} naming
   * {@code what}; an interrupt becomes {@code CANCELLED} with the flag restored.
   */
  public static <T> T await(CompletableFuture<T> call, Duration timeout, String what) {
    try {
      return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof MeshException m
          ? m
          : new MeshException(
              ErrorCode.KV_STORE_UNAVAILABLE, what + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new MeshException(
          ErrorCode.KV_STORE_UNAVAILABLE, what + " timed out after " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MeshException(ErrorCode.CANCELLED, what + " interrupted");
    }
  }
}
