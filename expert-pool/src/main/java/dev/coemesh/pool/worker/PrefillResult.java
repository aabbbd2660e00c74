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
 * @param handle where the encoded KV is, or null when none was stored
 * @param queueMs time the sequence waited for admission to the engine
 * @param prefillMs time from submission to the engine until the first token (queueing included)
 * @param encodeMs codec time
 * @param storeMs store write time
 */
public record PrefillResult(
    int[] promptTokens,
    TokenEvent.Token first,
    TokenEvent end,
    KvHandle handle,
    double queueMs,
    double prefillMs,
    double encodeMs,
    double storeMs) {}
