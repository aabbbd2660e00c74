package dev.coemesh.pool.kv;

/**
 * Told when full blocks enter or leave the prefix cache (the router's prefix-cache-aware scoring is
 * fed from these). Called on the engine thread; must not block.
 */
public interface KvBlockListener {
  void stored(long blockHash);

  void evicted(long blockHash);

  KvBlockListener NONE =
      new KvBlockListener() {
        @Override
        public void stored(long blockHash) {}

        @Override
        public void evicted(long blockHash) {}
      };
}
