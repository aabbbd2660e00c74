package dev.coemesh.pool.worker;

import dev.coemesh.core.kv.KvHandle;
import java.util.Objects;

/** Where the decode side gets a prefilled prompt's KV from. */
public sealed interface KvHandoff {
  /** In the store, under {@code handle}. */
  record Stored(KvHandle handle) implements KvHandoff {
    public Stored {
      Objects.requireNonNull(handle, "handle");
    }
  }

  /**
   * Nowhere: decode recomputes the prompt from its tokens and counts {@code reason} ({@link
   * FallbackReason#PREDICTED_SLOWER} when prefill chose not to ship it, {@link
   * FallbackReason#STORE_UNAVAILABLE} when the write failed).
   */
  record Recompute(FallbackReason reason) implements KvHandoff {
    public Recompute {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
