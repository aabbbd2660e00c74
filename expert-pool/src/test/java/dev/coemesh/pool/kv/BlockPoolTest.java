package dev.coemesh.pool.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.kv.BlockHashes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockPoolTest {

  @Test
  void publishedBlocksStayCachedUntilEvictedLeastRecentlyUsedFirst() {
    BlockPool pool = new BlockPool(1, 4, 2, 3);
    List<String> events = new ArrayList<>();
    pool.setListener(
        new KvBlockListener() {
          @Override
          public void stored(long hash) {
            events.add("stored " + hash);
          }

          @Override
          public void evicted(long hash) {
            events.add("evicted " + hash);
          }
        });
    int a = pool.allocate();
    int b = pool.allocate();
    pool.publish(a, 100);
    pool.publish(b, 200);
    pool.release(a);
    pool.release(b);
    assertEquals(3, pool.availableBlocks());
    assertEquals(2, pool.cachedBlocks());
    assertEquals(a, pool.acquireCached(100)); // a is now most recently used
    pool.release(a);
    int c = pool.allocate(); // the free block
    int d = pool.allocate(); // evicts b (least recently used), not a
    assertEquals(b, d);
    assertEquals(List.of("stored 100", "stored 200", "evicted 200"), events);
    assertEquals(-1, pool.acquireCached(200));
    pool.release(c);
    pool.release(d);
    assertThrows(IllegalStateException.class, () -> pool.release(d));
  }

  @Test
  void prefixBlocksAreReusedOnlyWithinTheCacheScopeTheyWereStoredIn() {
    BlockPool pool = new BlockPool(1, 4, 2, 16);
    List<Long> stored = new ArrayList<>();
    pool.setListener(
        new KvBlockListener() {
          @Override
          public void stored(long hash) {
            stored.add(hash);
          }

          @Override
          public void evicted(long hash) {}
        });
    int[] prompt = {1, 5, 6, 7, 8, 9, 10};
    long acme = BlockHashes.root("acme");
    SequenceKv first = filled(pool, acme, prompt);
    assertArrayEquals(BlockHashes.chain(acme, prompt, prompt.length, 2), first.blockHashes());
    assertEquals(
        List.of(first.blockHashes()[0], first.blockHashes()[1], first.blockHashes()[2]), stored);
    first.release();

    assertEquals(6, new SequenceKv(pool, acme).reusePrefix(prompt, prompt.length), "same tenant");
    assertEquals(
        0, new SequenceKv(pool, BlockHashes.root("globex")).reusePrefix(prompt, prompt.length));
    assertEquals(0, new SequenceKv(pool, BlockHashes.ROOT).reusePrefix(prompt, prompt.length));

    filled(pool, BlockHashes.ROOT, prompt).release();
    assertEquals(
        6, new SequenceKv(pool, BlockHashes.ROOT).reusePrefix(prompt, prompt.length), "shared");
  }

  /** A sequence of {@code root} holding the KV of {@code tokens} (contents not written). */
  private static SequenceKv filled(BlockPool pool, long root, int[] tokens) {
    SequenceKv seq = new SequenceKv(pool, root);
    seq.reserve(tokens.length);
    seq.commit(tokens, 0, tokens.length);
    return seq;
  }

  @Test
  void exhaustionReturnsMinusOne() {
    BlockPool pool = new BlockPool(1, 4, 2, 1);
    int a = pool.allocate();
    assertEquals(-1, pool.allocate());
    pool.release(a);
    assertEquals(a, pool.allocate());
  }

  @Test
  void aHalfPrecisionPoolStoresRoundedValuesInHalfTheBytes() {
    BlockPool half = new BlockPool(2, 3, 2, 4, KvPrecision.F16);
    assertEquals(new BlockPool(2, 3, 2, 4).kvBytes() / 2, half.kvBytes());
    assertEquals(2L * 2 * 4 * 2 * 3 * 2, half.kvBytes());
    float[] k = {1f, -0.1f, 70000f};
    float[] v = {0f, 1e-6f, 65504f};
    int at = half.offset(3, 1);
    half.write(1, at, k, 0, v, 0);
    float[] kOut = new float[3];
    float[] vOut = new float[3];
    half.read(1, at, kOut, 0, vOut, 0);
    assertArrayEquals(
        new float[] {
          1f, Float.float16ToFloat(Float.floatToFloat16(-0.1f)), Float.POSITIVE_INFINITY
        },
        kOut);
    assertArrayEquals(new float[] {0f, Float.float16ToFloat((short) 17), 65504f}, vOut);
  }
}
