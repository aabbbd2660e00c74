package dev.coemesh.core.kv;

/**
 * Chained content hashes of full KV-cache blocks. Block {@code i}'s hash covers its token ids and
 * the hash of block {@code i-1}, so equal hashes mean equal whole prefixes. The engine (which
 * stores the blocks) and the router (which matches a request's prefix against replicas' reported
 * blocks) must compute exactly the same values, in every process: this is the one definition.
 *
 * <p>The mix is SplitMix64's finaliser over a running 64-bit state; collisions are negligible at
 * the block counts a replica holds (2^-64 per pair).
 */
public final class BlockHashes {
  /** Seed of the chain: the hash "before" block 0. */
  public static final long ROOT = 0x9E3779B97F4A7C15L;

  private BlockHashes() {}

  /** Hashes of every full block of {@code tokens} in the shared scope ({@link #ROOT}). */
  public static long[] chain(int[] tokens, int length, int blockSize) {
    return chain(ROOT, tokens, length, blockSize);
  }

  /**
   * The chain's seed for one cache scope: prefixes are reused only between requests of the same
   * scope (a tenant's name, so one tenant never hits, or learns of, another's cached prompt), or of
   * the shared scope {@link #ROOT} where the config says a prefix is shared.
   */
  public static long root(String scope) {
    long h = ROOT;
    for (int i = 0; i < scope.length(); i++) {
      h = mix(h ^ scope.charAt(i));
    }
    return mix(h ^ scope.length());
  }

  /**
   * Hashes of every full block of {@code tokens} chained from {@code root}; a trailing partial
   * block gets none.
   */
  public static long[] chain(long root, int[] tokens, int length, int blockSize) {
    if (blockSize < 1) {
      throw new IllegalArgumentException("block size must be >= 1, was " + blockSize);
    }
    int blocks = length / blockSize;
    long[] hashes = new long[blocks];
    long previous = root;
    for (int b = 0; b < blocks; b++) {
      previous = next(previous, tokens, b * blockSize, blockSize);
      hashes[b] = previous;
    }
    return hashes;
  }

  /** The hash of one block given the previous block's hash. */
  public static long next(long previous, int[] tokens, int from, int blockSize) {
    long h = mix(previous ^ blockSize);
    for (int i = from; i < from + blockSize; i++) {
      h = mix(h ^ (tokens[i] & 0xFFFFFFFFL));
    }
    return h;
  }

  private static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
