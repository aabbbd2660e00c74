package dev.coemesh.kv.codec;

import dev.coemesh.core.kv.ModelFingerprint;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Calibrated codec tables, by id and by (model, level). Encoders use the model's table when one is
 * registered; decoders look tables up by the id a blob names. Thread-safe. In distributed mode both
 * sides register the same tables (they are deterministic from the model's calibration prompts, or
 * shipped once per model).
 */
public final class TableRegistry {
  private record Key(long model, CodecLevel level) {}

  private final Map<Long, CodecTables> byId = new ConcurrentHashMap<>();
  private final Map<Key, CodecTables> byModel = new ConcurrentHashMap<>();

  public void register(ModelFingerprint model, CodecTables tables) {
    byId.put(tables.id(), tables);
    byModel.put(new Key(model.value(), tables.level()), tables);
  }

  /** Registers tables for decoding only (by id), e.g. ones fetched for a peer's blobs. */
  public void add(CodecTables tables) {
    byId.put(tables.id(), tables);
  }

  public Optional<CodecTables> forModel(ModelFingerprint model, CodecLevel level) {
    return Optional.ofNullable(byModel.get(new Key(model.value(), level)));
  }

  public Optional<CodecTables> byId(long id) {
    return Optional.ofNullable(byId.get(id));
  }
}
