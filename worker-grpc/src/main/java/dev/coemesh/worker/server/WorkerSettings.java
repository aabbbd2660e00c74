package dev.coemesh.worker.server;

import dev.coemesh.kv.control.HandoffPolicy;
import dev.coemesh.pool.kv.KvPrecision;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a worker process is built from, whichever front (Quarkus app or plain main) read it.
 *
 * @param tokenizer llama2.c tokenizer file, or null for a GGUF model that embeds its own
 * @param threads engine matmul/attention threads
 * @param kvBlocks KV blocks in the engine's pool (16 positions each)
 * @param kvPrecision how the engine holds K and V (F16 or F32)
 * @param maxRunning sequences decoded together per step
 * @param prefillChunk prompt tokens computed per step beside the decoding sequences (chunked
 *     prefill; {@code SchedulerOptions.maxPrefillTokensPerStep})
 * @param redisUrl the KV store, {@code redis://host:port}; {@link #IN_MEMORY} for a store inside
 *     this process (only useful when prefill and decode share it, e.g. in tests)
 * @param handoff how prefill picks each request's codec level, or text ({@link HandoffPolicy})
 * @param chunkTokens tokens per stored KV chunk (the unit of pipelined fetch)
 * @param calibrationTokens tokens generated after each built-in prompt to calibrate the codec's
 *     tables at start-up (shared with peers through the store); 0 ships tables inside every blob
 * @param kvTtl how long an unconsumed KV lives in the store (backstop for lost clients)
 * @param storeTimeout timeout of each store command
 * @param fetchTimeout how long decode waits for the whole KV before recomputing from the prompt
 * @param maxWaiting sequences queued beyond a full batch at most; the next is refused ({@code
 *     CAPACITY_EXHAUSTED}) so that a full worker answers at once instead of queueing without bound
 */
public record WorkerSettings(
    WorkerRole role,
    Path model,
    Path tokenizer,
    int threads,
    int kvBlocks,
    KvPrecision kvPrecision,
    int maxRunning,
    int prefillChunk,
    String redisUrl,
    HandoffPolicy handoff,
    int chunkTokens,
    int calibrationTokens,
    Duration kvTtl,
    Duration storeTimeout,
    Duration fetchTimeout,
    int maxWaiting) {
  public static final String IN_MEMORY = "memory";

  /** The scheduler's default queue bound, for settings that do not choose one. */
  public static int defaultMaxWaiting() {
    return SchedulerOptions.defaults().maxWaiting();
  }

  public WorkerSettings {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(redisUrl, "redisUrl");
    Objects.requireNonNull(kvPrecision, "kvPrecision");
    Objects.requireNonNull(handoff, "handoff");
    if (threads < 1
        || kvBlocks < 1
        || maxRunning < 1
        || prefillChunk < 1
        || chunkTokens < 1
        || maxWaiting < 1) {
      throw new IllegalArgumentException(
          "threads, kv-blocks, max-running, prefill-chunk, chunk-tokens and max-waiting must be"
              + " >= 1");
    }
    if (calibrationTokens < 0) {
      throw new IllegalArgumentException("calibration-tokens must be >= 0");
    }
    if (kvTtl.isNegative()
        || kvTtl.isZero()
        || storeTimeout.isNegative()
        || fetchTimeout.isNegative()) {
      throw new IllegalArgumentException("kv-ttl must be > 0 and timeouts >= 0");
    }
  }
}
