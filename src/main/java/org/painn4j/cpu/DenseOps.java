package org.painn4j.cpu;

import org.painn4j.model.Dense;

/** A dense layer over a batch of rows, and the adjoint with respect to its input. */
final class DenseOps {
    private DenseOps() {
    }

    /** y[r][o] = Σ_i x[r][i]·W[o][i] + b[o] for rows × in inputs. */
    static double[] forward(Dense d, double[] x, int rows) {
        double[] y = new double[rows * d.out()];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < d.out(); o++) {
                double acc = d.b(o);
                int w = o * d.in();
                int xi = r * d.in();
                for (int i = 0; i < d.in(); i++) {
                    acc += x[xi + i] * d.weight()[w + i];
                }
                y[r * d.out() + o] = acc;
            }
        }
        return y;
    }

    /** gx[r][i] = Σ_o gy[r][o]·W[o][i]. */
    static double[] backward(Dense d, double[] gy, int rows) {
        double[] gx = new double[rows * d.in()];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < d.out(); o++) {
                double g = gy[r * d.out() + o];
                int w = o * d.in();
                int xi = r * d.in();
                for (int i = 0; i < d.in(); i++) {
                    gx[xi + i] += g * d.weight()[w + i];
                }
            }
        }
        return gx;
    }
}
