package dev.coemesh.pool.engine;

import dev.coemesh.pool.kv.BlockPool;
import dev.coemesh.pool.kv.SequenceKv;
import dev.coemesh.pool.model.Kernels;
import dev.coemesh.pool.model.LayerWeights;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelConfig;
import dev.coemesh.pool.model.RopeStyle;
import dev.coemesh.pool.model.Weight;

/**
 * The Llama forward pass over a step of T tokens that may belong to different sequences: a prompt
 * being prefilled contributes many consecutive positions, each decoding sequence one. Every weight
 * matrix is applied to all T tokens at once (matrix-matrix), and each token attends over its own
 * sequence's paged KV, which this step extends.
 *
 * <p>Not thread-safe: one step at a time (the worker pool parallelises inside a step).
 */
public final class Transformer {
  private static final int MIN_ROWS_PER_THREAD = 16;

  private final ModelConfig c;
  private final Model model;
  private final BlockPool pool;
  private final WorkerPool workers;
  private final Attention attention;
  private final float[] ropeCos; // [contextLength][ropeDim/2], Llama 3.1's factors applied
  private final float[] ropeSin; // [contextLength][ropeDim/2]
  private Buffers buf = new Buffers(0, null);

  public Transformer(Model model, BlockPool pool, WorkerPool workers) {
    this.model = model;
    this.c = model.config();
    this.pool = pool;
    this.workers = workers;
    this.attention = new Attention(pool, c.groupSize());
    int half = c.ropeDim() / 2;
    this.ropeCos = new float[c.contextLength() * half];
    this.ropeSin = new float[c.contextLength() * half];
    float[] factors = model.weights().ropeFreqFactors();
    for (int pos = 0; pos < c.contextLength(); pos++) {
      for (int i = 0; i < half; i++) {
        double freq = Math.pow(c.ropeTheta(), -(2.0 * i) / c.ropeDim());
        if (factors != null) { // Llama 3.1 slows the low frequencies down: angle / factor
          freq /= factors[i];
        }
        double angle = pos * freq;
        ropeCos[pos * half + i] = (float) Math.cos(angle);
        ropeSin[pos * half + i] = (float) Math.sin(angle);
      }
    }
  }

  public ModelConfig config() {
    return c;
  }

  public Model model() {
    return model;
  }

  /**
   * Runs one step. Token {@code t} is {@code tokens[t]} at position {@code positions[t]} of
   * sequence {@code seqs[t]}; each sequence's positions in the step are consecutive and start at
   * its current length, and its blocks are already reserved. KV is written for every token; then
   * the sequences' lengths are committed by the caller.
   *
   * @param logitRows indices t whose logits are wanted
   * @return logits {@code [logitRows.length][vocab]} flattened, in a buffer that the next call
   *     overwrites (copy what must outlive it)
   */
  public float[] forward(
      int steps, int[] tokens, int[] positions, SequenceKv[] seqs, int[] logitRows) {
    int t = steps;
    int dim = c.dim();
    int kvDim = c.kvDim();
    int hidden = c.hiddenDim();
    Buffers b = buffers(t);
    for (int i = 0; i < t; i++) {
      model.weights().tokenEmbedding().readRow(tokens[i], b.x, i * dim);
    }
    for (int l = 0; l < c.layers(); l++) {
      LayerWeights w = model.weights().layers().get(l);
      rmsnorm(b.xb, b.x, w.attentionNorm(), t, dim);
      matmul(w.wq(), b.xb, dim, t, b.q, dim);
      matmul(w.wk(), b.xb, dim, t, b.k, kvDim);
      matmul(w.wv(), b.xb, dim, t, b.v, kvDim);
      for (int i = 0; i < t; i++) {
        addBias(b.q, i * dim, w.qBias());
        addBias(b.k, i * kvDim, w.kBias());
        addBias(b.v, i * kvDim, w.vBias());
        rope(b.q, i * dim, dim, positions[i]);
        rope(b.k, i * kvDim, kvDim, positions[i]);
        pool.write(l, seqs[i].offset(positions[i]), b.k, i * kvDim, b.v, i * kvDim);
      }
      attention(l, t, positions, seqs, b);
      matmul(w.wo(), b.att, dim, t, b.xb, dim);
      add(b.x, b.xb, t * dim);
      rmsnorm(b.xb, b.x, w.ffnNorm(), t, dim);
      matmul(w.w1(), b.xb, dim, t, b.hb, hidden);
      matmul(w.w3(), b.xb, dim, t, b.hb2, hidden);
      for (int i = 0; i < t; i++) { // per token: its vector/scalar split must not depend on t
        swiGlu(b.hb, b.hb2, i * hidden, hidden);
      }
      matmul(w.w2(), b.hb, hidden, t, b.xb, dim);
      add(b.x, b.xb, t * dim);
    }
    int rows = logitRows.length;
    float[] normed = b.normed(rows * dim);
    for (int r = 0; r < rows; r++) {
      rmsnormRow(normed, r * dim, b.x, logitRows[r] * dim, model.weights().finalNorm(), dim);
    }
    float[] logits = b.logits(rows * c.vocabSize());
    matmul(model.weights().output(), normed, dim, rows, logits, c.vocabSize());
    return logits;
  }

  /** Splits the rows into whole panels across the workers. */
  private void matmul(Weight w, float[] x, int xStride, int batch, float[] out, int outStride) {
    int panel = Kernels.PANEL;
    int rows = w.rows();
    workers.parallelFor(
        (rows + panel - 1) / panel,
        Math.max(1, MIN_ROWS_PER_THREAD / panel),
        (from, to) ->
            Kernels.matmul(
                w, x, xStride, batch, out, outStride, from * panel, Math.min(rows, to * panel)));
  }

  private void attention(int layer, int t, int[] positions, SequenceKv[] seqs, Buffers b) {
    int heads = c.heads();
    workers.parallelFor(
        t * heads,
        Math.max(1, 64 / Math.max(1, t)),
        (from, to) -> {
          float[] scores = b.scores(positions, t);
          for (int task = from; task < to; task++) {
            int i = task / heads;
            int h = task % heads;
            attention.head(
                layer,
                h,
                b.q,
                i * c.dim() + h * c.headSize(),
                seqs[i],
                positions[i] + 1,
                scores,
                b.att,
                i * c.dim() + h * c.headSize());
          }
        });
  }

  private static void addBias(float[] v, int offset, float[] bias) {
    if (bias != null) {
      for (int j = 0; j < bias.length; j++) {
        v[offset + j] += bias[j];
      }
    }
  }

  /**
   * Rotates pair i of each head's first ropeDim values by pos·θ^(-2i/ropeDim): the pair is (2i,
   * 2i+1) for {@link RopeStyle#ADJACENT_PAIRS}, (i, i + ropeDim/2) for {@link RopeStyle#HALVES}.
   */
  private void rope(float[] v, int offset, int width, int pos) {
    int hs = c.headSize();
    int half = c.ropeDim() / 2;
    int base = pos * half;
    boolean halves = c.ropeStyle() == RopeStyle.HALVES;
    int step = halves ? 1 : 2;
    int partner = halves ? half : 1;
    for (int head = 0; head < width; head += hs) {
      for (int i = 0; i < half; i++) {
        int at = offset + head + step * i;
        float cos = ropeCos[base + i];
        float sin = ropeSin[base + i];
        float v0 = v[at];
        float v1 = v[at + partner];
        v[at] = v0 * cos - v1 * sin;
        v[at + partner] = v0 * sin + v1 * cos;
      }
    }
  }

  private void rmsnorm(float[] out, float[] x, float[] weight, int t, int dim) {
    for (int i = 0; i < t; i++) {
      rmsnormRow(out, i * dim, x, i * dim, weight, dim);
    }
  }

  private void rmsnormRow(float[] out, int outOff, float[] x, int xOff, float[] weight, int dim) {
    float ss = 0;
    for (int j = 0; j < dim; j++) {
      ss += x[xOff + j] * x[xOff + j];
    }
    float inv = (float) (1.0 / Math.sqrt(ss / dim + c.rmsEps()));
    for (int j = 0; j < dim; j++) {
      out[outOff + j] = weight[j] * (inv * x[xOff + j]);
    }
  }

  private static final jdk.incubator.vector.VectorSpecies<Float> S =
      jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;

  /**
   * {@code gate[i] = silu(gate[i]) * up[i]} for i in [from, from+n); exp on the vector unit (the
   * scalar loop cost more than the FFN's glue). Callers go one token at a time, so the split into
   * vector body and scalar tail never depends on the batch ({@link Exp} makes the two agree
   * anyway).
   */
  private static void swiGlu(float[] gate, float[] up, int from, int n) {
    int i = from;
    for (int upper = from + S.loopBound(n); i < upper; i += S.length()) {
      var g = jdk.incubator.vector.FloatVector.fromArray(S, gate, i);
      var sig = Exp.exp(g.neg()).add(1f);
      g.div(sig).mul(jdk.incubator.vector.FloatVector.fromArray(S, up, i)).intoArray(gate, i);
    }
    for (; i < from + n; i++) {
      float g = gate[i];
      gate[i] = g / (1f + Exp.exp(-g)) * up[i];
    }
  }

  private static void add(float[] x, float[] y, int n) {
    for (int i = 0; i < n; i++) {
      x[i] += y[i];
    }
  }

  private Buffers buffers(int t) {
    if (buf.capacity < t) {
      buf = new Buffers(Math.max(t, buf.capacity * 2), c);
    }
    return buf;
  }

  /** Activations for up to {@code capacity} tokens, reused across steps. */
  private static final class Buffers {
    final int capacity;
    final float[] x; // [t][dim]
    final float[] xb; // [t][dim]
    final float[] q; // [t][dim]
    final float[] k; // [t][kvDim]
    final float[] v; // [t][kvDim]
    final float[] att; // [t][dim]
    final float[] hb; // [t][hidden]
    final float[] hb2; // [t][hidden]
    // Grown on demand and kept: a batch-16 decode step would otherwise allocate and zero 2 MB of
    // logits per step (measured: about 0.8 ms of a ~13 ms step on the 15M shape).
    private float[] normed = new float[0]; // [rows][dim]
    private float[] logits = new float[0]; // [rows][vocab]
    private final ThreadLocal<float[]> scores = ThreadLocal.withInitial(() -> new float[0]);

    Buffers(int capacity, ModelConfig c) {
      this.capacity = capacity;
      int dim = c == null ? 0 : c.dim();
      int kvDim = c == null ? 0 : c.kvDim();
      int hidden = c == null ? 0 : c.hiddenDim();
      x = new float[capacity * dim];
      xb = new float[capacity * dim];
      q = new float[capacity * dim];
      k = new float[capacity * kvDim];
      v = new float[capacity * kvDim];
      att = new float[capacity * dim];
      hb = new float[capacity * hidden];
      hb2 = new float[capacity * hidden];
    }

    float[] normed(int n) {
      if (normed.length < n) {
        normed = new float[n];
      }
      return normed;
    }

    float[] logits(int n) {
      if (logits.length < n) {
        logits = new float[n];
      }
      return logits;
    }

    float[] scores(int[] positions, int t) {
      int max = 0;
      for (int i = 0; i < t; i++) {
        max = Math.max(max, positions[i] + 1);
      }
      float[] s = scores.get();
      if (s.length < max) {
        s = new float[Math.max(max, 256)];
        scores.set(s);
      }
      return s;
    }
  }
}
