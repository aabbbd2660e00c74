package dev.coemesh.worker.server;

import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.spi.KvStore;
import dev.coemesh.kv.codec.CodecTables;
import dev.coemesh.kv.codec.SharedTableCodec;
import dev.coemesh.kv.codec.TableRegistry;
import dev.coemesh.kv.control.HandoffController;
import dev.coemesh.kv.store.InMemoryKvStore;
import dev.coemesh.kv.store.RedisKvStore;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.scheduler.ContinuousBatcher;
import dev.coemesh.pool.scheduler.SchedulerOptions;
import dev.coemesh.pool.worker.CodecCalibration;
import dev.coemesh.pool.worker.DecodeWorker;
import dev.coemesh.pool.worker.PrefillWorker;

/**
 * One worker's engine and KV plumbing: the model, its continuous batcher, the codec, the store
 * client, and the prefill and decode workers over them. Owned by whichever front serves it.
 */
public final class WorkerRuntime implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WorkerRuntime.class.getName());

  private final WorkerSettings settings;
  private final Model model;
  private final ContinuousBatcher batcher;
  private final KvStore store;
  private final PrefillWorker prefill;
  private final DecodeWorker decode;

  private WorkerRuntime(WorkerSettings settings, Model model, KvStore store) {
    this.settings = settings;
    this.model = model;
    this.store = store;
    LlamaEngine engine =
        new LlamaEngine(
            model,
            EngineOptions.defaults()
                .withThreads(settings.threads())
                .withKvBlocks(settings.kvBlocks())
                .withKvPrecision(settings.kvPrecision()));
    this.batcher =
        new ContinuousBatcher(
            engine,
            new SchedulerOptions(
                settings.maxRunning(), settings.prefillChunk(), settings.maxWaiting()));
    // calibrated tables make short chunks small; peers fetch them from the store by id
    TableRegistry tables = new TableRegistry();
    SharedTableCodec codec = new SharedTableCodec(tables, store, settings.storeTimeout());
    if (settings.calibrationTokens() > 0) {
      for (CodecTables t : CodecCalibration.calibrate(model, settings.calibrationTokens())) {
        tables.register(model.fingerprint(), t);
        try {
          codec.publish(t);
        } catch (MeshException e) {
          // a slow or briefly unreachable store at start-up: the first blob encoded with these
          // tables publishes them again, so the worker starts anyway
          LOG.log(
              System.Logger.Level.WARNING,
              "codec table not published at start-up, retried with the first KV: "
                  + e.getMessage());
        }
      }
    }
    this.prefill =
        new PrefillWorker(
            batcher,
            codec,
            store,
            new HandoffController(settings.handoff()),
            settings.chunkTokens(),
            settings.kvTtl());
    this.decode = new DecodeWorker(batcher, codec, store, settings.fetchTimeout());
  }

  /** Loads the model and connects the store; fails fast (model file invalid, Redis unreachable). */
  public static WorkerRuntime start(WorkerSettings settings) {
    Model model = ModelLoader.load(settings.model(), settings.tokenizer());
    KvStore store =
        WorkerSettings.IN_MEMORY.equals(settings.redisUrl())
            ? new InMemoryKvStore(256L << 20)
            : new RedisKvStore(settings.redisUrl(), settings.storeTimeout());
    return new WorkerRuntime(settings, model, store);
  }

  public WorkerSettings settings() {
    return settings;
  }

  public Model model() {
    return model;
  }

  public ContinuousBatcher batcher() {
    return batcher;
  }

  public PrefillWorker prefill() {
    return prefill;
  }

  public DecodeWorker decode() {
    return decode;
  }

  /** Deletes a KV nobody will consume (its call was cancelled); a null handle is a no-op. */
  public void release(KvHandle handle) {
    if (handle != null) {
      store.delete(handle.tenant(), handle.request(), handle.chunks());
    }
  }

  @Override
  public void close() {
    decode.close();
    batcher.close();
    batcher.engine().close();
    store.close();
  }
}
