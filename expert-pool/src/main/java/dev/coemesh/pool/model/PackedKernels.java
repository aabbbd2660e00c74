package dev.coemesh.pool.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix products over F32 weights packed for streaming: panels of {@link #PANEL} rows, each
 * panel's columns as one vector of outputs' weights per column ({@code [panel][line][PANEL]}), so a
 * multiply-add per column computes a vector of outputs with broadcast inputs and no horizontal
 * sums.
 *
 * <p>Within a panel the even columns come first and the odd ones after them ({@link #line}): a
 * kernel walking the columns in order then reads two sequential runs per panel instead of one. The
 * hardware prefetchers follow each run separately, so more runs in flight fetch more of the weight
 * stream while the multiply-adds run. Measured over all of the 15M shape's matrices at batch 16
 * (one JVM, variants taking turns, 2026-11-30): three panels per tile of 8 inputs 6.45-6.52 ms,
 * with the even/odd split 5.74-5.97 ms, the former two-panel kernel 7.10-7.36 ms. Every kernel
 * still adds the columns in order, one accumulator per output, so a token's outputs are
 * bit-identical whichever kernel (batch size) computes them.
 */
final class PackedKernels {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  /** Rows per panel: one vector of outputs. */
  static final int PANEL = S.length();

  /** Inputs processed together per panel in the mid-size kernel. */
  private static final int TILE = 4;

  private PackedKernels() {}

  /** Lines of a panel that hold its even columns (they come first). */
  static int evenLines(int cols) {
    return (cols + 1) / 2;
  }

  /** The line of column {@code k} within its panel. */
  static int line(int k, int cols) {
    return (k & 1) == 0 ? k / 2 : evenLines(cols) + k / 2;
  }

  /** Packs row-major {@code [rows][cols]} values, zero-padding the last panel. */
  static float[] pack(float[] rowMajor, int rows, int cols) {
    int panels = (rows + PANEL - 1) / PANEL;
    float[] packed = new float[Math.multiplyExact(panels * PANEL, cols)];
    for (int r = 0; r < rows; r++) {
      int base = (r / PANEL) * cols * PANEL + r % PANEL;
      for (int k = 0; k < cols; k++) {
        packed[base + line(k, cols) * PANEL] = rowMajor[r * cols + k];
      }
    }
    return packed;
  }

  /**
   * {@code out[b*outStride + r] = W[r]·x[b*xStride ..]} on the packed copy: for each panel of
   * {@link #PANEL} rows and each tile of inputs, accumulate {@code panel[k][0..PANEL) * x[b][k]}
   * over k. A panel (cols × PANEL floats) is read sequentially and stays in L1 while every input
   * tile uses it. {@code rowFrom} must be a multiple of PANEL.
   */
  static void matmul(
      Weight w,
      float[] x,
      int xStride,
      int batch,
      float[] out,
      int outStride,
      int rowFrom,
      int rowTo) {
    float[] packed = w.packed();
    int cols = w.cols();
    float[] tail = null;
    int r = rowFrom;
    int eights = batch / 8 * 8; // inputs in tiles of 8, then tiles of 4, then single inputs
    int fours = eights + (batch - eights) / TILE * TILE;
    // Blocks of panels, every input group against the block while it is in cache. With tiles of 8
    // inputs, blocks of three panels: each tile takes the three at once (24 accumulators share each
    // broadcast input), so the tile that streams the block from memory keeps three weight streams
    // in flight; measured over all of the 15M shape's matrices at batch 16, three streams beat two
    // (2x8) by 7-12% and four or more panels with fewer inputs (4x4, 5x4, 6x4, 4x6) were slower.
    // Without such tiles, blocks of four panels: tiles of 4 one panel at a time, single inputs all
    // four panels at once (four chains hide the multiply-add latency and keep four streams).
    int block = eights > 0 ? 3 : 4;
    if (r + block * PANEL <= rowTo) {
      // each tile of 8 inputs interleaved by k, so the kernel's 8 broadcasts per k read one
      // contiguous run (one bounds check, one cache line)
      float[] xt = eights > 0 ? interleaved(x, xStride, eights / 8, cols) : null;
      int panel = cols * PANEL;
      for (; r + block * PANEL <= rowTo; r += block * PANEL) {
        int base = (r / PANEL) * panel;
        for (int tile = 0; tile < eights / 8; tile++) {
          threePanels8(
              packed, base, cols, xt, tile * cols * 8, out, tile * 8 * outStride + r, outStride);
        }
        for (int b0 = eights; b0 < fours; b0 += TILE) {
          for (int q = 0; q < block; q++) {
            panel4(
                packed,
                base + q * panel,
                cols,
                x,
                b0 * xStride,
                xStride,
                out,
                b0 * outStride + r + q * PANEL,
                outStride);
          }
        }
        for (int b0 = fours; b0 < batch; b0++) {
          if (block == 4) {
            panels4x1(packed, base, cols, x, b0 * xStride, out, b0 * outStride + r);
          } else {
            panels3x1(packed, base, cols, x, b0 * xStride, out, b0 * outStride + r);
          }
        }
      }
    }
    // the last (at most three) panels of this share, the very last maybe partial: one at a time
    for (; r < rowTo; r += PANEL) {
      int base = (r / PANEL) * cols * PANEL;
      boolean partial = r + PANEL > rowTo;
      if (partial && tail == null) {
        tail = new float[TILE * PANEL];
      }
      int b0 = 0;
      for (; b0 + TILE <= batch; b0 += TILE) {
        if (partial) {
          panel4(packed, base, cols, x, b0 * xStride, xStride, tail, 0, PANEL);
          copyTail(tail, TILE, out, b0 * outStride + r, outStride, rowTo - r);
        } else {
          panel4(packed, base, cols, x, b0 * xStride, xStride, out, b0 * outStride + r, outStride);
        }
      }
      for (; b0 < batch; b0++) {
        if (partial) {
          panel1(packed, base, cols, x, b0 * xStride, tail, 0);
          copyTail(tail, 1, out, b0 * outStride + r, outStride, rowTo - r);
        } else {
          panel1(packed, base, cols, x, b0 * xStride, out, b0 * outStride + r);
        }
      }
    }
  }

  private static void copyTail(
      float[] tail, int inputs, float[] out, int outIndex, int outStride, int n) {
    for (int b = 0; b < inputs; b++) {
      System.arraycopy(tail, b * PANEL, out, outIndex + b * outStride, n);
    }
  }

  private static final ThreadLocal<float[]> INTERLEAVED =
      ThreadLocal.withInitial(() -> new float[0]);

  /** {@code xt[tile][k][j] = x[(tile*8 + j)*xStride + k]}. */
  private static float[] interleaved(float[] x, int xStride, int tiles, int cols) {
    float[] xt = INTERLEAVED.get();
    if (xt.length < tiles * cols * 8) {
      xt = new float[tiles * cols * 8];
      INTERLEAVED.set(xt);
    }
    for (int tile = 0; tile < tiles; tile++) {
      for (int j = 0; j < 8; j++) {
        int src = (tile * 8 + j) * xStride;
        int dst = tile * cols * 8 + j;
        for (int k = 0; k < cols; k++) {
          xt[dst + 8 * k] = x[src + k];
        }
      }
    }
    return xt;
  }

  /**
   * One input against four adjacent panels: four chains hide the multiply-add latency and keep
   * eight line streams in flight.
   */
  private static void panels4x1(
      float[] packed, int base, int cols, float[] x, int xOff, float[] out, int outIndex) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    int panel = cols * PANEL;
    int odd = base + evenLines(cols) * PANEL;
    int k = 0;
    for (int w = base; k + 1 < cols; k += 2, w += PANEL, odd += PANEL) {
      {
        FloatVector w0 = FloatVector.fromArray(S, packed, w);
        FloatVector w1 = FloatVector.fromArray(S, packed, w + panel);
        FloatVector w2 = FloatVector.fromArray(S, packed, w + 2 * panel);
        FloatVector w3 = FloatVector.fromArray(S, packed, w + 3 * panel);
        FloatVector v = FloatVector.broadcast(S, x[xOff + k]);
        a0 = w0.fma(v, a0);
        a1 = w1.fma(v, a1);
        a2 = w2.fma(v, a2);
        a3 = w3.fma(v, a3);
      }
      FloatVector w0 = FloatVector.fromArray(S, packed, odd);
      FloatVector w1 = FloatVector.fromArray(S, packed, odd + panel);
      FloatVector w2 = FloatVector.fromArray(S, packed, odd + 2 * panel);
      FloatVector w3 = FloatVector.fromArray(S, packed, odd + 3 * panel);
      FloatVector v = FloatVector.broadcast(S, x[xOff + k + 1]);
      a0 = w0.fma(v, a0);
      a1 = w1.fma(v, a1);
      a2 = w2.fma(v, a2);
      a3 = w3.fma(v, a3);
    }
    if (k < cols) { // an odd column count: the last column ends the even run
      FloatVector w0 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL);
      FloatVector w1 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL + panel);
      FloatVector w2 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL + 2 * panel);
      FloatVector w3 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL + 3 * panel);
      FloatVector v = FloatVector.broadcast(S, x[xOff + k]);
      a0 = w0.fma(v, a0);
      a1 = w1.fma(v, a1);
      a2 = w2.fma(v, a2);
      a3 = w3.fma(v, a3);
    }
    a0.intoArray(out, outIndex);
    a1.intoArray(out, outIndex + PANEL);
    a2.intoArray(out, outIndex + 2 * PANEL);
    a3.intoArray(out, outIndex + 3 * PANEL);
  }

  /** One input against three adjacent panels (the blocks of a batch with tiles of 8). */
  private static void panels3x1(
      float[] packed, int base, int cols, float[] x, int xOff, float[] out, int outIndex) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    int panel = cols * PANEL;
    int odd = base + evenLines(cols) * PANEL;
    int k = 0;
    for (int w = base; k + 1 < cols; k += 2, w += PANEL, odd += PANEL) {
      {
        FloatVector w0 = FloatVector.fromArray(S, packed, w);
        FloatVector w1 = FloatVector.fromArray(S, packed, w + panel);
        FloatVector w2 = FloatVector.fromArray(S, packed, w + 2 * panel);
        FloatVector v = FloatVector.broadcast(S, x[xOff + k]);
        a0 = w0.fma(v, a0);
        a1 = w1.fma(v, a1);
        a2 = w2.fma(v, a2);
      }
      FloatVector w0 = FloatVector.fromArray(S, packed, odd);
      FloatVector w1 = FloatVector.fromArray(S, packed, odd + panel);
      FloatVector w2 = FloatVector.fromArray(S, packed, odd + 2 * panel);
      FloatVector v = FloatVector.broadcast(S, x[xOff + k + 1]);
      a0 = w0.fma(v, a0);
      a1 = w1.fma(v, a1);
      a2 = w2.fma(v, a2);
    }
    if (k < cols) { // an odd column count: the last column ends the even run
      FloatVector w0 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL);
      FloatVector w1 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL + panel);
      FloatVector w2 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL + 2 * panel);
      FloatVector v = FloatVector.broadcast(S, x[xOff + k]);
      a0 = w0.fma(v, a0);
      a1 = w1.fma(v, a1);
      a2 = w2.fma(v, a2);
    }
    a0.intoArray(out, outIndex);
    a1.intoArray(out, outIndex + PANEL);
    a2.intoArray(out, outIndex + 2 * PANEL);
  }

  /** One input against one panel: one latency-bound chain, so only for a share's last panels. */
  private static void panel1(
      float[] packed, int base, int cols, float[] x, int xOff, float[] out, int outIndex) {
    FloatVector a0 = FloatVector.zero(S);
    int odd = base + evenLines(cols) * PANEL;
    int k = 0;
    for (int w = base; k + 1 < cols; k += 2, w += PANEL, odd += PANEL) {
      {
        FloatVector w0 = FloatVector.fromArray(S, packed, w);
        FloatVector v = FloatVector.broadcast(S, x[xOff + k]);
        a0 = w0.fma(v, a0);
      }
      FloatVector w0 = FloatVector.fromArray(S, packed, odd);
      FloatVector v = FloatVector.broadcast(S, x[xOff + k + 1]);
      a0 = w0.fma(v, a0);
    }
    if (k < cols) { // an odd column count: the last column ends the even run
      FloatVector w0 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL);
      FloatVector v = FloatVector.broadcast(S, x[xOff + k]);
      a0 = w0.fma(v, a0);
    }
    a0.intoArray(out, outIndex);
  }

  /** Three adjacent panels times eight interleaved inputs: twenty-four accumulators. */
  private static void threePanels8(
      float[] packed,
      int base,
      int cols,
      float[] xt,
      int xOff,
      float[] out,
      int outIndex,
      int outStride) {
    FloatVector a00 = FloatVector.zero(S);
    FloatVector a10 = FloatVector.zero(S);
    FloatVector a20 = FloatVector.zero(S);
    FloatVector a01 = FloatVector.zero(S);
    FloatVector a11 = FloatVector.zero(S);
    FloatVector a21 = FloatVector.zero(S);
    FloatVector a02 = FloatVector.zero(S);
    FloatVector a12 = FloatVector.zero(S);
    FloatVector a22 = FloatVector.zero(S);
    FloatVector a03 = FloatVector.zero(S);
    FloatVector a13 = FloatVector.zero(S);
    FloatVector a23 = FloatVector.zero(S);
    FloatVector a04 = FloatVector.zero(S);
    FloatVector a14 = FloatVector.zero(S);
    FloatVector a24 = FloatVector.zero(S);
    FloatVector a05 = FloatVector.zero(S);
    FloatVector a15 = FloatVector.zero(S);
    FloatVector a25 = FloatVector.zero(S);
    FloatVector a06 = FloatVector.zero(S);
    FloatVector a16 = FloatVector.zero(S);
    FloatVector a26 = FloatVector.zero(S);
    FloatVector a07 = FloatVector.zero(S);
    FloatVector a17 = FloatVector.zero(S);
    FloatVector a27 = FloatVector.zero(S);
    int panel = cols * PANEL;
    int odd = base + evenLines(cols) * PANEL;
    int k = 0;
    int i = xOff;
    for (int w = base; k + 1 < cols; k += 2, w += PANEL, odd += PANEL, i += 16) {
      {
        FloatVector w0 = FloatVector.fromArray(S, packed, w);
        FloatVector w1 = FloatVector.fromArray(S, packed, w + panel);
        FloatVector w2 = FloatVector.fromArray(S, packed, w + 2 * panel);
        FloatVector v = FloatVector.broadcast(S, xt[i]);
        a00 = w0.fma(v, a00);
        a10 = w1.fma(v, a10);
        a20 = w2.fma(v, a20);
        v = FloatVector.broadcast(S, xt[i + 1]);
        a01 = w0.fma(v, a01);
        a11 = w1.fma(v, a11);
        a21 = w2.fma(v, a21);
        v = FloatVector.broadcast(S, xt[i + 2]);
        a02 = w0.fma(v, a02);
        a12 = w1.fma(v, a12);
        a22 = w2.fma(v, a22);
        v = FloatVector.broadcast(S, xt[i + 3]);
        a03 = w0.fma(v, a03);
        a13 = w1.fma(v, a13);
        a23 = w2.fma(v, a23);
        v = FloatVector.broadcast(S, xt[i + 4]);
        a04 = w0.fma(v, a04);
        a14 = w1.fma(v, a14);
        a24 = w2.fma(v, a24);
        v = FloatVector.broadcast(S, xt[i + 5]);
        a05 = w0.fma(v, a05);
        a15 = w1.fma(v, a15);
        a25 = w2.fma(v, a25);
        v = FloatVector.broadcast(S, xt[i + 6]);
        a06 = w0.fma(v, a06);
        a16 = w1.fma(v, a16);
        a26 = w2.fma(v, a26);
        v = FloatVector.broadcast(S, xt[i + 7]);
        a07 = w0.fma(v, a07);
        a17 = w1.fma(v, a17);
        a27 = w2.fma(v, a27);
      }
      FloatVector w0 = FloatVector.fromArray(S, packed, odd);
      FloatVector w1 = FloatVector.fromArray(S, packed, odd + panel);
      FloatVector w2 = FloatVector.fromArray(S, packed, odd + 2 * panel);
      FloatVector v = FloatVector.broadcast(S, xt[i + 8]);
      a00 = w0.fma(v, a00);
      a10 = w1.fma(v, a10);
      a20 = w2.fma(v, a20);
      v = FloatVector.broadcast(S, xt[i + 8 + 1]);
      a01 = w0.fma(v, a01);
      a11 = w1.fma(v, a11);
      a21 = w2.fma(v, a21);
      v = FloatVector.broadcast(S, xt[i + 8 + 2]);
      a02 = w0.fma(v, a02);
      a12 = w1.fma(v, a12);
      a22 = w2.fma(v, a22);
      v = FloatVector.broadcast(S, xt[i + 8 + 3]);
      a03 = w0.fma(v, a03);
      a13 = w1.fma(v, a13);
      a23 = w2.fma(v, a23);
      v = FloatVector.broadcast(S, xt[i + 8 + 4]);
      a04 = w0.fma(v, a04);
      a14 = w1.fma(v, a14);
      a24 = w2.fma(v, a24);
      v = FloatVector.broadcast(S, xt[i + 8 + 5]);
      a05 = w0.fma(v, a05);
      a15 = w1.fma(v, a15);
      a25 = w2.fma(v, a25);
      v = FloatVector.broadcast(S, xt[i + 8 + 6]);
      a06 = w0.fma(v, a06);
      a16 = w1.fma(v, a16);
      a26 = w2.fma(v, a26);
      v = FloatVector.broadcast(S, xt[i + 8 + 7]);
      a07 = w0.fma(v, a07);
      a17 = w1.fma(v, a17);
      a27 = w2.fma(v, a27);
    }
    if (k < cols) { // an odd column count: the last column ends the even run
      FloatVector w0 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL);
      FloatVector w1 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL + panel);
      FloatVector w2 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL + 2 * panel);
      FloatVector v = FloatVector.broadcast(S, xt[i]);
      a00 = w0.fma(v, a00);
      a10 = w1.fma(v, a10);
      a20 = w2.fma(v, a20);
      v = FloatVector.broadcast(S, xt[i + 1]);
      a01 = w0.fma(v, a01);
      a11 = w1.fma(v, a11);
      a21 = w2.fma(v, a21);
      v = FloatVector.broadcast(S, xt[i + 2]);
      a02 = w0.fma(v, a02);
      a12 = w1.fma(v, a12);
      a22 = w2.fma(v, a22);
      v = FloatVector.broadcast(S, xt[i + 3]);
      a03 = w0.fma(v, a03);
      a13 = w1.fma(v, a13);
      a23 = w2.fma(v, a23);
      v = FloatVector.broadcast(S, xt[i + 4]);
      a04 = w0.fma(v, a04);
      a14 = w1.fma(v, a14);
      a24 = w2.fma(v, a24);
      v = FloatVector.broadcast(S, xt[i + 5]);
      a05 = w0.fma(v, a05);
      a15 = w1.fma(v, a15);
      a25 = w2.fma(v, a25);
      v = FloatVector.broadcast(S, xt[i + 6]);
      a06 = w0.fma(v, a06);
      a16 = w1.fma(v, a16);
      a26 = w2.fma(v, a26);
      v = FloatVector.broadcast(S, xt[i + 7]);
      a07 = w0.fma(v, a07);
      a17 = w1.fma(v, a17);
      a27 = w2.fma(v, a27);
    }
    a00.intoArray(out, outIndex);
    a10.intoArray(out, outIndex + PANEL);
    a20.intoArray(out, outIndex + 2 * PANEL);
    a01.intoArray(out, outIndex + outStride);
    a11.intoArray(out, outIndex + outStride + PANEL);
    a21.intoArray(out, outIndex + outStride + 2 * PANEL);
    a02.intoArray(out, outIndex + 2 * outStride);
    a12.intoArray(out, outIndex + 2 * outStride + PANEL);
    a22.intoArray(out, outIndex + 2 * outStride + 2 * PANEL);
    a03.intoArray(out, outIndex + 3 * outStride);
    a13.intoArray(out, outIndex + 3 * outStride + PANEL);
    a23.intoArray(out, outIndex + 3 * outStride + 2 * PANEL);
    a04.intoArray(out, outIndex + 4 * outStride);
    a14.intoArray(out, outIndex + 4 * outStride + PANEL);
    a24.intoArray(out, outIndex + 4 * outStride + 2 * PANEL);
    a05.intoArray(out, outIndex + 5 * outStride);
    a15.intoArray(out, outIndex + 5 * outStride + PANEL);
    a25.intoArray(out, outIndex + 5 * outStride + 2 * PANEL);
    a06.intoArray(out, outIndex + 6 * outStride);
    a16.intoArray(out, outIndex + 6 * outStride + PANEL);
    a26.intoArray(out, outIndex + 6 * outStride + 2 * PANEL);
    a07.intoArray(out, outIndex + 7 * outStride);
    a17.intoArray(out, outIndex + 7 * outStride + PANEL);
    a27.intoArray(out, outIndex + 7 * outStride + 2 * PANEL);
  }

  /** Four inputs against one panel. */
  private static void panel4(
      float[] packed,
      int base,
      int cols,
      float[] x,
      int x0,
      int xStride,
      float[] out,
      int outIndex,
      int outStride) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    int x1 = x0 + xStride;
    int x2 = x1 + xStride;
    int x3 = x2 + xStride;
    int odd = base + evenLines(cols) * PANEL;
    int k = 0;
    for (int w = base; k + 1 < cols; k += 2, w += PANEL, odd += PANEL) {
      {
        FloatVector w0 = FloatVector.fromArray(S, packed, w);
        FloatVector v = FloatVector.broadcast(S, x[x0 + k]);
        a0 = w0.fma(v, a0);
        v = FloatVector.broadcast(S, x[x1 + k]);
        a1 = w0.fma(v, a1);
        v = FloatVector.broadcast(S, x[x2 + k]);
        a2 = w0.fma(v, a2);
        v = FloatVector.broadcast(S, x[x3 + k]);
        a3 = w0.fma(v, a3);
      }
      FloatVector w0 = FloatVector.fromArray(S, packed, odd);
      FloatVector v = FloatVector.broadcast(S, x[x0 + k + 1]);
      a0 = w0.fma(v, a0);
      v = FloatVector.broadcast(S, x[x1 + k + 1]);
      a1 = w0.fma(v, a1);
      v = FloatVector.broadcast(S, x[x2 + k + 1]);
      a2 = w0.fma(v, a2);
      v = FloatVector.broadcast(S, x[x3 + k + 1]);
      a3 = w0.fma(v, a3);
    }
    if (k < cols) { // an odd column count: the last column ends the even run
      FloatVector w0 = FloatVector.fromArray(S, packed, base + k / 2 * PANEL);
      FloatVector v = FloatVector.broadcast(S, x[x0 + k]);
      a0 = w0.fma(v, a0);
      v = FloatVector.broadcast(S, x[x1 + k]);
      a1 = w0.fma(v, a1);
      v = FloatVector.broadcast(S, x[x2 + k]);
      a2 = w0.fma(v, a2);
      v = FloatVector.broadcast(S, x[x3 + k]);
      a3 = w0.fma(v, a3);
    }
    a0.intoArray(out, outIndex);
    a1.intoArray(out, outIndex + outStride);
    a2.intoArray(out, outIndex + 2 * outStride);
    a3.intoArray(out, outIndex + 3 * outStride);
  }
}
