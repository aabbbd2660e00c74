package dev.coemesh.pool.tokenizer;

import java.util.Arrays;

/** A binary min-heap of {@code long} keys, so merge candidates are queued without boxing. */
final class CandidateHeap {
  private long[] heap = new long[16];
  private int size;

  boolean isEmpty() {
    return size == 0;
  }

  void clear() {
    size = 0;
  }

  void push(long key) {
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    int child = size++;
    while (child > 0) {
      int parent = (child - 1) >>> 1;
      if (heap[parent] <= key) {
        break;
      }
      heap[child] = heap[parent];
      child = parent;
    }
    heap[child] = key;
  }

  /** Removes and returns the smallest key; the heap must not be empty. */
  long pop() {
    long top = heap[0];
    long last = heap[--size];
    int parent = 0;
    while (true) {
      int child = 2 * parent + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && heap[child + 1] < heap[child]) {
        child++;
      }
      if (last <= heap[child]) {
        break;
      }
      heap[parent] = heap[child];
      parent = child;
    }
    heap[parent] = last;
    return top;
  }
}
