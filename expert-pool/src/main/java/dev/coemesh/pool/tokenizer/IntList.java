package dev.coemesh.pool.tokenizer;

import java.util.Arrays;

/** A growable {@code int} array: token ids collected without boxing. */
final class IntList {
  private int[] values;
  private int size;

  IntList(int capacity) {
    values = new int[Math.max(capacity, 8)];
  }

  void add(int value) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = value;
  }

  int size() {
    return size;
  }

  /** The backing array (valid up to {@link #size}); for merging in place. */
  int[] values() {
    return values;
  }

  int[] toArray() {
    return Arrays.copyOf(values, size);
  }
}
