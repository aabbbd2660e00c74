package dev.coemesh.pool.tokenizer;

import java.util.Arrays;

/**
 * An open-addressing map from a pair of non-negative ints to a non-negative int: the merge rule of
 * two adjacent symbols, without boxing or building the merged string per lookup.
 */
final class PairTable {
  private static final long EMPTY = -1L;
  private static final int ABSENT = -1;

  private long[] keys; // [capacity] (left << 32 | right), EMPTY where free
  private int[] values; // [capacity]
  private int size;
  private int shift; // 64 - log2(capacity)

  PairTable(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    allocate(capacity);
  }

  /** The value of {@code (left, right)}, or -1 when the pair has none. */
  int get(int left, int right) {
    long key = key(left, right);
    int mask = keys.length - 1;
    for (int slot = slot(key); ; slot = (slot + 1) & mask) {
      long found = keys[slot];
      if (found == key) {
        return values[slot];
      }
      if (found == EMPTY) {
        return ABSENT;
      }
    }
  }

  /** Sets the value of {@code (left, right)} unless it has one. */
  void putIfAbsent(int left, int right, int value) {
    if (left < 0 || right < 0 || value < 0) {
      throw new IllegalArgumentException("pair tables hold non-negative ids only");
    }
    if ((size + 1) * 2 > keys.length) {
      grow();
    }
    insert(key(left, right), value);
  }

  private boolean insert(long key, int value) {
    int mask = keys.length - 1;
    for (int slot = slot(key); ; slot = (slot + 1) & mask) {
      long found = keys[slot];
      if (found == key) {
        return false;
      }
      if (found == EMPTY) {
        keys[slot] = key;
        values[slot] = value;
        size++;
        return true;
      }
    }
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    allocate(keys.length * 2);
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != EMPTY) {
        insert(oldKeys[i], oldValues[i]);
      }
    }
  }

  private void allocate(int capacity) {
    keys = new long[capacity];
    Arrays.fill(keys, EMPTY);
    values = new int[capacity];
    size = 0;
    shift = 64 - Integer.numberOfTrailingZeros(capacity);
  }

  private int slot(long key) {
    return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift); // Fibonacci hashing
  }

  private static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xFFFFFFFFL);
  }
}
