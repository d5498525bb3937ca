package org.painn4j.cpu;

import org.painn4j.model.Dense;

/**
 * A dense layer over a batch of rows, and the adjoint with respect to its input.
 *
 * <p>The forward pass takes four rows at a time: each weight read serves four rows, and their
 * four sums are independent chains of additions instead of one, which a core overlaps. The
 * adjoint takes four rows and four outputs at a time: each pass over the rows of gx adds four
 * weight rows, each weight read serving four rows. Every output is still summed in the same order
 * (over inputs for the forward pass, over outputs for the adjoint), so the results are the same
 * bits as one row or output at a time (Java does not contract a·b + c into a fused
 * multiply-add). Rows are split over threads ({@link Parallel}) in whole blocks of four; a
 * row's outputs do not depend on the other rows.
 */
final class DenseOps {
    private DenseOps() {
    }

    /** y[r][o] = Σ_i x[r][i]·W[o][i] + b[o] for rows × in inputs. */
    static double[] forward(Dense d, double[] x, int rows) {
        double[] y = new double[rows * d.out()];
        Parallel.range(rows, Parallel.minChunk((long) d.in() * d.out()), 4, (from, to) -> forward(d, x, y, from, to));
        return y;
    }

    private static void forward(Dense d, double[] x, double[] y, int from, int to) {
        int in = d.in(), out = d.out();
        double[] w = d.weight();
        int r = from;
        for (; r + 4 <= to; r += 4) {
            int x0 = r * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
            for (int o = 0; o < out; o++) {
                double b = d.b(o);
                double a0 = b, a1 = b, a2 = b, a3 = b;
                int wo = o * in;
                for (int i = 0; i < in; i++) {
                    double wi = w[wo + i];
                    a0 += x[x0 + i] * wi;
                    a1 += x[x1 + i] * wi;
                    a2 += x[x2 + i] * wi;
                    a3 += x[x3 + i] * wi;
                }
                y[r * out + o] = a0;
                y[(r + 1) * out + o] = a1;
                y[(r + 2) * out + o] = a2;
                y[(r + 3) * out + o] = a3;
            }
        }
        for (; r < to; r++) {
            int xr = r * in;
            for (int o = 0; o < out; o++) {
                double acc = d.b(o);
                int wo = o * in;
                for (int i = 0; i < in; i++) {
                    acc += x[xr + i] * w[wo + i];
                }
                y[r * out + o] = acc;
            }
        }
    }

    /** gx[r][i] = Σ_o gy[r][o]·W[o][i]. */
    static double[] backward(Dense d, double[] gy, int rows) {
        double[] gx = new double[rows * d.in()];
        Parallel.range(rows, Parallel.minChunk((long) d.in() * d.out()), 4, (from, to) -> backward(d, gy, gx, from, to));
        return gx;
    }

    /**
     * Rows [from, to), four at a time: each weight row read serves four rows of gx (one at a
     * time, the weights stream from cache once per row and the adjoint ran at half the forward
     * pass's speed). Every gx element still adds its terms in the order of o.
     */
    private static void backward(Dense d, double[] gy, double[] gx, int from, int to) {
        int in = d.in(), out = d.out();
        double[] w = d.weight();
        int r = from;
        for (; r + 4 <= to; r += 4) {
            int x0 = r * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
            int y0 = r * out, y1 = y0 + out, y2 = y1 + out, y3 = y2 + out;
            int o = 0;
            for (; o + 4 <= out; o += 4) {
                int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
                double a0 = gy[y0 + o], a1 = gy[y0 + o + 1], a2 = gy[y0 + o + 2], a3 = gy[y0 + o + 3];
                double b0 = gy[y1 + o], b1 = gy[y1 + o + 1], b2 = gy[y1 + o + 2], b3 = gy[y1 + o + 3];
                double c0 = gy[y2 + o], c1 = gy[y2 + o + 1], c2 = gy[y2 + o + 2], c3 = gy[y2 + o + 3];
                double e0 = gy[y3 + o], e1 = gy[y3 + o + 1], e2 = gy[y3 + o + 2], e3 = gy[y3 + o + 3];
                for (int i = 0; i < in; i++) {
                    double v0 = w[w0 + i], v1 = w[w1 + i], v2 = w[w2 + i], v3 = w[w3 + i];
                    gx[x0 + i] = gx[x0 + i] + a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
                    gx[x1 + i] = gx[x1 + i] + b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3;
                    gx[x2 + i] = gx[x2 + i] + c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3;
                    gx[x3 + i] = gx[x3 + i] + e0 * v0 + e1 * v1 + e2 * v2 + e3 * v3;
                }
            }
            for (; o < out; o++) {
                int wo = o * in;
                double a = gy[y0 + o], b = gy[y1 + o], c = gy[y2 + o], e = gy[y3 + o];
                for (int i = 0; i < in; i++) {
                    double v = w[wo + i];
                    gx[x0 + i] += a * v;
                    gx[x1 + i] += b * v;
                    gx[x2 + i] += c * v;
                    gx[x3 + i] += e * v;
                }
            }
        }
        for (; r < to; r++) {
            int xr = r * in, gr = r * out;
            int o = 0;
            for (; o + 4 <= out; o += 4) {
                double g0 = gy[gr + o], g1 = gy[gr + o + 1], g2 = gy[gr + o + 2], g3 = gy[gr + o + 3];
                int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
                for (int i = 0; i < in; i++) {
                    gx[xr + i] = gx[xr + i] + g0 * w[w0 + i] + g1 * w[w1 + i] + g2 * w[w2 + i] + g3 * w[w3 + i];
                }
            }
            for (; o < out; o++) {
                double g = gy[gr + o];
                int wo = o * in;
                for (int i = 0; i < in; i++) {
                    gx[xr + i] += g * w[wo + i];
                }
            }
        }
    }
}
