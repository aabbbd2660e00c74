package dev.coemesh.kv.codec;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.core.spi.KvCodec;
import dev.coemesh.core.spi.KvStore;
import dev.coemesh.kv.store.StoreFutures;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link CacheGenCodec} whose calibrated tables travel through the KV store, once per table: the
 * encoding side publishes each table it references under its content id (at start-up through {@link
 * #publish}, or on first use); the decoding side, given a blob naming a table its registry lacks,
 * fetches it, checks that its content matches the id, and registers it. So prefill and decode
 * replicas need not calibrate bit-identically (their engines may round differently on other
 * hardware), and no blob carries tables inline when its model has calibrated ones. Thread-safe.
 */
public final class SharedTableCodec implements KvCodec {
  private final TableRegistry registry;
  private final CacheGenCodec codec;
  private final KvStore store;
  private final Duration timeout;
  private final Set<Long> published = ConcurrentHashMap.newKeySet();

  public SharedTableCodec(TableRegistry registry, KvStore store, Duration timeout) {
    this.registry = registry;
    this.codec = new CacheGenCodec(registry);
    this.store = store;
    this.timeout = timeout;
  }

  /** Stores a table (already registered) in the KV store unless this codec already did. */
  public void publish(CodecTables tables) {
    long id = tables.id();
    if (published.add(id)) {
      try {
        StoreFutures.await(store.putTable(id, tables.toBytes()), timeout, "publish codec table");
      } catch (MeshException e) {
        published.remove(id); // try again with the next blob
        throw e;
      }
    }
  }

  @Override
  public byte[] encode(KvTensor chunk, int level, ModelFingerprint model) {
    byte[] blob = codec.encode(chunk, level, model);
    OptionalLong id = CacheGenCodec.tableId(blob);
    if (id.isPresent() && !published.contains(id.getAsLong())) {
      registry.byId(id.getAsLong()).ifPresent(this::publish);
    }
    return blob;
  }

  @Override
  public KvTensor decode(byte[] blob, ModelFingerprint expectedModel) {
    OptionalLong id = CacheGenCodec.tableId(blob);
    if (id.isPresent() && registry.byId(id.getAsLong()).isEmpty()) {
      fetch(id.getAsLong());
    }
    return codec.decode(blob, expectedModel);
  }

  private void fetch(long id) {
    byte[] bytes;
    try {
      bytes = StoreFutures.await(store.getTable(id), timeout, "fetch codec table");
    } catch (MeshException e) {
      if (e.code() == ErrorCode.KV_NOT_FOUND) {
        throw new MeshException(
            ErrorCode.KV_CORRUPT,
            "KV blob uses codec table "
                + Long.toHexString(id)
                + ", which neither this node nor the KV store has");
      }
      throw e;
    }
    CodecTables tables = CodecTables.fromBytes(bytes);
    if (tables.id() != id) {
      throw new MeshException(
          ErrorCode.KV_CORRUPT,
          "codec table stored under " + Long.toHexString(id) + " has another content");
    }
    registry.add(tables);
  }
}
