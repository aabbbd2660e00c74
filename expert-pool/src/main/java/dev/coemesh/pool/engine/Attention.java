package dev.coemesh.pool.engine;

import dev.coemesh.pool.kv.BlockPool;
import dev.coemesh.pool.kv.Fp16;
import dev.coemesh.pool.kv.KvPrecision;
import dev.coemesh.pool.kv.SequenceKv;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One head of one token attending over its sequence's paged KV: {@code softmax(q·K/sqrt(hs))·V}.
 *
 * <p>The kernels follow the pool's block layout (see {@link BlockPool}): with keys transposed
 * within a block, a head's scores for a block's positions are a vector over positions, summed over
 * the head's channels with broadcast query values and no horizontal sums; with values head-major,
 * the weighted value sum holds one vector of the output in registers across all positions. Measured
 * with {@code ./mesh bench engine} on the 15M shape: attention per batch-16 decode step went from
 * ~1.1 ms (row-major blocks, a horizontal sum per position) to ~TODO ms.
 *
 * <p>A token's result depends only on its query, its sequence's KV and the block size, never on the
 * batch it is computed in: the order of every sum is fixed. Blocks that are not whole vectors of
 * positions (and heads that are not whole vectors, for the values) take scalar loops. A 16-bit pool
 * is widened as it is loaded, so attention streams half the bytes.
 */
final class Attention {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private final BlockPool pool;
  private final int headSize;
  private final int blockSize;
  private final int groupSize;
  private final float scale;

  Attention(BlockPool pool, int groupSize) {
    this.pool = pool;
    this.headSize = pool.headSize();
    this.blockSize = pool.blockSize();
    this.groupSize = groupSize;
    this.scale = (float) (1.0 / Math.sqrt(headSize));
  }

  /**
   * {@code out[outOff .. outOff+hs)} = head {@code h} of the query at {@code q[qOff ..]} attending
   * over positions [0, count) of {@code seq} in {@code layer}; {@code scores} holds at least count
   * rounded up to whole blocks floats of scratch.
   */
  void head(
      int layer,
      int h,
      float[] q,
      int qOff,
      SequenceKv seq,
      int count,
      float[] scores,
      float[] out,
      int outOff) {
    int kvHead = h / groupSize;
    boolean half = pool.precision() == KvPrecision.F16;
    int bs = blockSize;
    for (int p0 = 0; p0 < count; p0 += bs) {
      int base = pool.headBase(seq.block(p0 / bs), kvHead);
      int n = Math.min(bs, count - p0);
      if (half) {
        keyScores(q, qOff, pool.halfKeys(layer), base, n, scores, p0);
      } else {
        keyScores(q, qOff, pool.keys(layer), base, n, scores, p0);
      }
    }
    float max = Float.NEGATIVE_INFINITY;
    for (int p = 0; p < count; p++) {
      max = Math.max(max, scores[p]);
    }
    float inv = 1f / expInPlace(scores, count, max);
    if (half) {
      weightedValues(pool.halfValues(layer), seq, kvHead, count, scores, inv, out, outOff);
    } else {
      weightedValues(pool.values(layer), seq, kvHead, count, scores, inv, out, outOff);
    }
  }

  /**
   * {@code scores[to + j] = scale · Σ_d q[d]·K[d][j]} for the n positions of one block, whose keys
   * start at {@code base} as {@code [d][slot]}. The channels are summed in four interleaved chains
   * (d mod 4) so that consecutive multiply-adds do not wait on each other.
   */
  private void keyScores(
      float[] q, int qOff, short[] keys, int base, int n, float[] scores, int to) {
    int hs = headSize;
    int bs = blockSize;
    int j = 0;
    if (bs % L == 0) {
      for (; j < n; j += L) {
        int k = base + j;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int d = 0;
        for (; d + 4 <= hs; d += 4, k += 4 * bs) {
          a0 = Fp16.load(keys, k).fma(FloatVector.broadcast(S, q[qOff + d]), a0);
          a1 = Fp16.load(keys, k + bs).fma(FloatVector.broadcast(S, q[qOff + d + 1]), a1);
          a2 = Fp16.load(keys, k + 2 * bs).fma(FloatVector.broadcast(S, q[qOff + d + 2]), a2);
          a3 = Fp16.load(keys, k + 3 * bs).fma(FloatVector.broadcast(S, q[qOff + d + 3]), a3);
        }
        for (; d < hs; d++, k += bs) {
          a0 = Fp16.load(keys, k).fma(FloatVector.broadcast(S, q[qOff + d]), a0);
        }
        a0.add(a1).add(a2.add(a3)).mul(scale).intoArray(scores, to + j, S.indexInRange(j, n));
      }
      return;
    }
    for (; j < n; j++) {
      float s = 0;
      for (int d = 0, k = base + j; d < hs; d++, k += bs) {
        s += q[qOff + d] * Fp16.toFloat(keys[k]);
      }
      scores[to + j] = s * scale;
    }
  }

  /** {@link #keyScores(float[], int, short[], int, int, float[], int)} over a float pool. */
  private void keyScores(
      float[] q, int qOff, float[] keys, int base, int n, float[] scores, int to) {
    int hs = headSize;
    int bs = blockSize;
    int j = 0;
    if (bs % L == 0) {
      for (; j < n; j += L) {
        int k = base + j;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int d = 0;
        for (; d + 4 <= hs; d += 4, k += 4 * bs) {
          a0 = FloatVector.fromArray(S, keys, k).fma(FloatVector.broadcast(S, q[qOff + d]), a0);
          a1 =
              FloatVector.fromArray(S, keys, k + bs)
                  .fma(FloatVector.broadcast(S, q[qOff + d + 1]), a1);
          a2 =
              FloatVector.fromArray(S, keys, k + 2 * bs)
                  .fma(FloatVector.broadcast(S, q[qOff + d + 2]), a2);
          a3 =
              FloatVector.fromArray(S, keys, k + 3 * bs)
                  .fma(FloatVector.broadcast(S, q[qOff + d + 3]), a3);
        }
        for (; d < hs; d++, k += bs) {
          a0 = FloatVector.fromArray(S, keys, k).fma(FloatVector.broadcast(S, q[qOff + d]), a0);
        }
        a0.add(a1).add(a2.add(a3)).mul(scale).intoArray(scores, to + j, S.indexInRange(j, n));
      }
      return;
    }
    for (; j < n; j++) {
      float s = 0;
      for (int d = 0, k = base + j; d < hs; d++, k += bs) {
        s += q[qOff + d] * keys[k];
      }
      scores[to + j] = s * scale;
    }
  }

  /**
   * {@code out[outOff + d] = inv · Σ_p weights[p] · V[p][d]}: one vector of the head at a time,
   * held in four accumulators (a block's positions j, j+1, j+2, j+3) across every position.
   */
  private void weightedValues(
      short[] values,
      SequenceKv seq,
      int kvHead,
      int count,
      float[] weights,
      float inv,
      float[] out,
      int outOff) {
    int bs = blockSize;
    int hs = headSize;
    if (hs % L != 0) {
      java.util.Arrays.fill(out, outOff, outOff + hs, 0f);
      for (int p = 0; p < count; p++) {
        int at = pool.headBase(seq.block(p / bs), kvHead) + p % bs * hs;
        float a = weights[p];
        for (int d = 0; d < hs; d++) {
          out[outOff + d] += a * Fp16.toFloat(values[at + d]);
        }
      }
      for (int d = 0; d < hs; d++) {
        out[outOff + d] *= inv;
      }
      return;
    }
    for (int d = 0; d < hs; d += L) {
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      for (int p0 = 0; p0 < count; p0 += bs) {
        int v = pool.headBase(seq.block(p0 / bs), kvHead) + d;
        int n = Math.min(bs, count - p0);
        int j = 0;
        for (; j + 4 <= n; j += 4, v += 4 * hs) {
          a0 = Fp16.load(values, v).fma(FloatVector.broadcast(S, weights[p0 + j]), a0);
          a1 = Fp16.load(values, v + hs).fma(FloatVector.broadcast(S, weights[p0 + j + 1]), a1);
          a2 = Fp16.load(values, v + 2 * hs).fma(FloatVector.broadcast(S, weights[p0 + j + 2]), a2);
          a3 = Fp16.load(values, v + 3 * hs).fma(FloatVector.broadcast(S, weights[p0 + j + 3]), a3);
        }
        for (; j < n; j++, v += hs) {
          a0 = Fp16.load(values, v).fma(FloatVector.broadcast(S, weights[p0 + j]), a0);
        }
      }
      a0.add(a1).add(a2.add(a3)).mul(inv).intoArray(out, outOff + d);
    }
  }

  /**
   * {@link #weightedValues(short[], SequenceKv, int, int, float[], float, float[], int)}, floats.
   */
  private void weightedValues(
      float[] values,
      SequenceKv seq,
      int kvHead,
      int count,
      float[] weights,
      float inv,
      float[] out,
      int outOff) {
    int bs = blockSize;
    int hs = headSize;
    if (hs % L != 0) {
      java.util.Arrays.fill(out, outOff, outOff + hs, 0f);
      for (int p = 0; p < count; p++) {
        int at = pool.headBase(seq.block(p / bs), kvHead) + p % bs * hs;
        float a = weights[p];
        for (int d = 0; d < hs; d++) {
          out[outOff + d] += a * values[at + d];
        }
      }
      for (int d = 0; d < hs; d++) {
        out[outOff + d] *= inv;
      }
      return;
    }
    for (int d = 0; d < hs; d += L) {
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      for (int p0 = 0; p0 < count; p0 += bs) {
        int v = pool.headBase(seq.block(p0 / bs), kvHead) + d;
        int n = Math.min(bs, count - p0);
        int j = 0;
        for (; j + 4 <= n; j += 4, v += 4 * hs) {
          a0 =
              FloatVector.fromArray(S, values, v)
                  .fma(FloatVector.broadcast(S, weights[p0 + j]), a0);
          a1 =
              FloatVector.fromArray(S, values, v + hs)
                  .fma(FloatVector.broadcast(S, weights[p0 + j + 1]), a1);
          a2 =
              FloatVector.fromArray(S, values, v + 2 * hs)
                  .fma(FloatVector.broadcast(S, weights[p0 + j + 2]), a2);
          a3 =
              FloatVector.fromArray(S, values, v + 3 * hs)
                  .fma(FloatVector.broadcast(S, weights[p0 + j + 3]), a3);
        }
        for (; j < n; j++, v += hs) {
          a0 =
              FloatVector.fromArray(S, values, v)
                  .fma(FloatVector.broadcast(S, weights[p0 + j]), a0);
        }
      }
      a0.add(a1).add(a2.add(a3)).mul(inv).intoArray(out, outOff + d);
    }
  }

  /**
   * {@code v[i] = exp(v[i] - max)} for i < n; returns their sum, added lane by lane in order at the
   * end (a vector reduction may add in another order once compiled).
   */
  static float expInPlace(float[] v, int n, float max) {
    int i = 0;
    int upper = S.loopBound(n);
    float sum = 0;
    if (upper > 0) {
      FloatVector sums = FloatVector.zero(S);
      for (; i < upper; i += L) {
        FloatVector e = Exp.exp(FloatVector.fromArray(S, v, i).sub(max));
        e.intoArray(v, i);
        sums = sums.add(e);
      }
      for (int lane = 0; lane < L; lane++) {
        sum += sums.lane(lane);
      }
    }
    for (; i < n; i++) {
      float e = Exp.exp(v[i] - max);
      v[i] = e;
      sum += e;
    }
    return sum;
  }
}
