package dev.coemesh.pool.worker;

import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.request.TokenEvent;

/**
 * What the prefill side hands to the decode side.
 *
 * @param promptTokens the prompt as tokenized (BOS included)
 * @param first the first generated token, or null when the sequence ended at once
 * @param end the terminal event when generation already ended on the prefill side (end of sequence
 *     first, or a one-token request), else null
 * @param kv where decode gets the prompt's KV from; null exactly when {@code end} is set
 * @param queueMs time the sequence waited for admission to the engine
 * @param prefillMs time from submission to the engine until the first token (queueing included)
 * @param encodeMs codec time (0 when nothing was encoded)
 * @param storeMs store write time (0 when nothing was written)
 */
public record PrefillResult(
    int[] promptTokens,
    TokenEvent.Token first,
    TokenEvent end,
    KvHandoff kv,
    double queueMs,
    double prefillMs,
    double encodeMs,
    double storeMs) {

  /** The stored KV's handle, or null when none was stored. */
  public KvHandle handle() {
    return kv instanceof KvHandoff.Stored s ? s.handle() : null;
  }
}
