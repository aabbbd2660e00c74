package dev.coemesh.pool.worker;

import dev.coemesh.core.kv.KvHandle;
import java.util.Objects;

/** Where the decode side gets a prefilled prompt's KV from. */
public sealed interface KvHandoff {
  /**
   * In the store, under {@code handle}.
   *
   * @param values KV values encoded (raw size: times the engine's bytes per value); 0 where unknown
   *     (the decode side, which has only the handle)
   * @param encodedBytes the encoded chunks' bytes written; 0 where unknown
   */
  record Stored(KvHandle handle, long values, long encodedBytes) implements KvHandoff {
    public Stored {
      Objects.requireNonNull(handle, "handle");
    }

    /** A handle as the decode side receives it: the sizes stay with prefill. */
    public Stored(KvHandle handle) {
      this(handle, 0, 0);
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
