package dev.coemesh.pool.tokenizer;

/**
 * Greedy pair merging, shared by both tokenizers: while some adjacent pair of symbols has a rule,
 * replace the pair whose rule has the lowest priority value by the rule's result, the leftmost such
 * pair on ties. That is the classic quadratic loop (scan every pair, merge the best, repeat); here
 * it runs in O(n log n) over a doubly linked list of symbols and a heap of candidate pairs.
 *
 * <p>A candidate is the key {@code priority << 32 | left}, where {@code left} is the original
 * position of the pair's left symbol. A merged symbol keeps its left part's position, and merging
 * never reorders symbols, so the smallest key is the same pair the scan would pick. Candidates are
 * never removed when a merge changes their symbols; a popped one is used only if its position still
 * starts a pair whose rule has the popped priority (that pair is then a valid best choice,
 * whichever candidate recorded it).
 */
final class MergeRules {
  private static final int GONE = -1;

  private final PairTable rules; // (left symbol, right symbol) -> rule
  private final int[] priority; // [rule] lower merges first
  private final int[] result; // [rule] the merged symbol

  /**
   * @param rules pairs of non-negative symbols to their rule index
   */
  MergeRules(PairTable rules, int[] priority, int[] result) {
    if (priority.length != result.length) {
      throw new IllegalArgumentException("need one result per rule priority");
    }
    this.rules = rules;
    this.priority = priority;
    this.result = result;
  }

  /**
   * Merges {@code symbols[0..count)} in place; returns how many symbols remain, in order at the
   * front of the array.
   */
  int mergeAll(int[] symbols, int count, Workspace work, CancellationPoll poll) {
    if (count < 2) {
      return count;
    }
    work.reserve(count);
    int[] prev = work.prev;
    int[] next = work.next;
    CandidateHeap candidates = work.candidates;
    candidates.clear();
    for (int i = 0; i < count; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < count ? i + 1 : -1;
    }
    for (int i = 0; i + 1 < count; i++) {
      offer(candidates, symbols, i, i + 1);
    }
    while (!candidates.isEmpty()) {
      poll.tick();
      long candidate = candidates.pop();
      int left = (int) candidate;
      int right = next[left];
      if (symbols[left] == GONE || right < 0) {
        continue;
      }
      int rule = rules.get(symbols[left], symbols[right]);
      if (rule < 0 || priority[rule] != (int) (candidate >>> 32)) {
        continue;
      }
      symbols[left] = result[rule];
      symbols[right] = GONE;
      int after = next[right];
      next[left] = after;
      if (after >= 0) {
        prev[after] = left;
        offer(candidates, symbols, left, after);
      }
      if (prev[left] >= 0) {
        offer(candidates, symbols, prev[left], left);
      }
    }
    int kept = 0;
    for (int i = 0; i >= 0; i = next[i]) { // position 0 is never a right part, so it heads the list
      symbols[kept++] = symbols[i];
    }
    return kept;
  }

  private void offer(CandidateHeap candidates, int[] symbols, int left, int right) {
    int rule = rules.get(symbols[left], symbols[right]);
    if (rule >= 0) {
      candidates.push(((long) priority[rule] << 32) | left);
    }
  }

  /** Scratch space of one encode call, reused across its words; not thread-safe. */
  static final class Workspace {
    private int[] prev = new int[0]; // [symbol position]
    private int[] next = new int[0]; // [symbol position], -1 after the last
    private final CandidateHeap candidates = new CandidateHeap();

    private void reserve(int count) {
      if (prev.length < count) {
        int capacity = Math.max(count, 2 * prev.length);
        prev = new int[capacity];
        next = new int[capacity];
      }
    }
  }
}
