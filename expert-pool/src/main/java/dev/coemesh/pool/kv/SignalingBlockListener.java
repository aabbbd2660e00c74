package dev.coemesh.pool.kv;

import dev.coemesh.core.expert.ReplicaId;
import dev.coemesh.core.signal.SignalEvent.KvBlockEvent;
import dev.coemesh.core.spi.SignalBus;
import java.util.List;
import java.util.Objects;

/**
 * Publishes a replica's prefix-cache changes as {@code mesh.kv-events}, one event per block, so a
 * router can match a request's prefix against exactly the blocks the engine holds (the engine's
 * hashes are {@link dev.coemesh.core.kv.BlockHashes}' chains, the router's function too). Runs on
 * the engine thread: the bus's publish never blocks for long and never throws.
 */
public record SignalingBlockListener(ReplicaId replica, SignalBus signals)
    implements KvBlockListener {
  public SignalingBlockListener {
    Objects.requireNonNull(replica, "replica");
    Objects.requireNonNull(signals, "signals");
  }

  @Override
  public void stored(long blockHash) {
    publish(KvBlockEvent.Kind.STORED, blockHash);
  }

  @Override
  public void evicted(long blockHash) {
    publish(KvBlockEvent.Kind.EVICTED, blockHash);
  }

  /**
   * Tells routers to forget every block credited to this replica: published once before the
   * listener is installed, since a restarted replica keeps its name but not its cache.
   */
  public void cleared() {
    signals.publish(
        new KvBlockEvent(
            replica, KvBlockEvent.Kind.CLEARED, List.of(), System.currentTimeMillis()));
  }

  private void publish(KvBlockEvent.Kind kind, long blockHash) {
    signals.publish(
        new KvBlockEvent(replica, kind, List.of(blockHash), System.currentTimeMillis()));
  }
}
