package org.painn4j.cpu;

import org.painn4j.model.Dense;
import org.painn4j.model.PainnModel;

/**
 * Stage 2, the continuous filter of one interaction layer on one edge:
 * W_ij = (φ(d)·W_fᵀ + b_f) · fc(d), the 3F columns of layer l's block.
 * Formed per edge and never stored for all edges and layers at once ([E, 3F·L] would not
 * fit for large systems); the backward pass recomputes it.
 */
public final class Filter {
    private Filter() {
    }

    /** First filter row of layer l: shared filters reuse block 0. */
    static int blockRow(PainnModel model, int layer) {
        int f3 = 3 * model.config.nAtomBasis();
        return model.config.sharedFilters() ? 0 : layer * f3;
    }

    /**
     * Writes the 3F filter values of edge e, layer l into w[0..3F). Four outputs at a time: four
     * independent sums per pass over φ, each in the same order as alone (the same bits).
     */
    public static void forward(PainnModel model, int layer, Radial.Edges edges, int e, double[] w) {
        Dense fn = model.filter;
        double[] wf = fn.weight();
        double[] phi = edges.phi();
        int k = edges.k();
        int p = e * k;
        int row0 = blockRow(model, layer);
        double fc = edges.fc()[e];
        int o = 0;
        for (; o + 4 <= w.length; o += 4) {
            int r0 = (row0 + o) * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
            double a0 = fn.b(row0 + o), a1 = fn.b(row0 + o + 1), a2 = fn.b(row0 + o + 2), a3 = fn.b(row0 + o + 3);
            for (int q = 0; q < k; q++) {
                double v = phi[p + q];
                a0 += v * wf[r0 + q];
                a1 += v * wf[r1 + q];
                a2 += v * wf[r2 + q];
                a3 += v * wf[r3 + q];
            }
            w[o] = a0 * fc;
            w[o + 1] = a1 * fc;
            w[o + 2] = a2 * fc;
            w[o + 3] = a3 * fc;
        }
        for (; o < w.length; o++) {
            int row = (row0 + o) * k;
            double acc = fn.b(row0 + o);
            for (int q = 0; q < k; q++) {
                acc += phi[p + q] * wf[row + q];
            }
            w[o] = acc * fc;
        }
    }

    /**
     * Adds this layer's share of ∂E/∂φ(e) and ∂E/∂fc(e), given gw = ∂E/∂W_e (3F):
     * gφ_k += fc · Σ_o gw_o W_f[o,k];  gfc += Σ_o gw_o · (φ·W_fᵀ + b_f)_o. Four outputs at a
     * time, every sum still taken over o in order (the same bits as one output at a time).
     */
    public static void backward(PainnModel model, int layer, Radial.Edges edges, int e, double[] gw,
                                double[] gPhi, double[] gFc) {
        backward(model, layer, edges, e, gw, null, gPhi, gFc);
    }

    /**
     * As above, and writes the filter values W_e to w when it is not null: the pass forms
     * φ·W_fᵀ + b_f anyway, summed as {@link #forward} sums it, so w gets the same bits.
     */
    public static void backward(PainnModel model, int layer, Radial.Edges edges, int e, double[] gw,
                                double[] w, double[] gPhi, double[] gFc) {
        Dense fn = model.filter;
        double[] wf = fn.weight();
        double[] phi = edges.phi();
        int k = edges.k();
        int p = e * k;
        int row0 = blockRow(model, layer);
        double fc = edges.fc()[e];
        double gfc = 0;
        int o = 0;
        for (; o + 4 <= gw.length; o += 4) {
            int r0 = (row0 + o) * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
            double pre0 = fn.b(row0 + o), pre1 = fn.b(row0 + o + 1);
            double pre2 = fn.b(row0 + o + 2), pre3 = fn.b(row0 + o + 3);
            double c0 = fc * gw[o], c1 = fc * gw[o + 1], c2 = fc * gw[o + 2], c3 = fc * gw[o + 3];
            for (int q = 0; q < k; q++) {
                double v = phi[p + q];
                double w0 = wf[r0 + q], w1 = wf[r1 + q], w2 = wf[r2 + q], w3 = wf[r3 + q];
                pre0 += v * w0;
                pre1 += v * w1;
                pre2 += v * w2;
                pre3 += v * w3;
                gPhi[p + q] = gPhi[p + q] + c0 * w0 + c1 * w1 + c2 * w2 + c3 * w3;
            }
            gfc = gfc + gw[o] * pre0 + gw[o + 1] * pre1 + gw[o + 2] * pre2 + gw[o + 3] * pre3;
            if (w != null) {
                w[o] = pre0 * fc;
                w[o + 1] = pre1 * fc;
                w[o + 2] = pre2 * fc;
                w[o + 3] = pre3 * fc;
            }
        }
        for (; o < gw.length; o++) {
            int row = (row0 + o) * k;
            double pre = fn.b(row0 + o);
            double c = fc * gw[o];
            for (int q = 0; q < k; q++) {
                pre += phi[p + q] * wf[row + q];
                gPhi[p + q] += c * wf[row + q];
            }
            gfc += gw[o] * pre;
            if (w != null) {
                w[o] = pre * fc;
            }
        }
        gFc[e] += gfc;
    }
}
