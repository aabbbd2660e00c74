package dev.coemesh.core.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class KvTensorTest {

  private static KvTensor counting(int layers, int tokens, int kvDim) {
    float[] data = new float[2 * layers * tokens * kvDim];
    for (int i = 0; i < data.length; i++) {
      data[i] = i;
    }
    return new KvTensor(layers, tokens, kvDim, data);
  }

  @Test
  void offsetFollowsLayerKvTokenChannelOrder() {
    KvTensor kv = counting(2, 3, 4);
    assertEquals(0, kv.offset(0, 0, 0));
    assertEquals(12, kv.offset(0, 1, 0));
    assertEquals(24 + 12 + 8, kv.offset(1, 1, 2));
  }

  @Test
  void sliceKeepsEveryLayerAndBothHalves() {
    KvTensor kv = counting(2, 3, 2);
    KvTensor tail = kv.slice(1, 3);
    assertEquals(2, tail.tokens());
    // layer 0 K tokens 1..2, layer 0 V tokens 1..2, layer 1 K, layer 1 V
    assertArrayEquals(
        new float[] {2, 3, 4, 5, 8, 9, 10, 11, 14, 15, 16, 17, 20, 21, 22, 23}, tail.data());
  }

  @Test
  void rejectsDataThatDoesNotMatchTheShape() {
    assertThrows(IllegalArgumentException.class, () -> new KvTensor(1, 2, 3, new float[11]));
  }
}
