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

    /** Writes the 3F filter values of edge e, layer l into w[0..3F). */
    public static void forward(PainnModel model, int layer, Radial.Edges edges, int e, double[] w) {
        Dense fn = model.filter;
        int k = edges.k();
        int row0 = blockRow(model, layer);
        double fc = edges.fc()[e];
        for (int o = 0; o < w.length; o++) {
            int row = (row0 + o) * k;
            double acc = fn.b(row0 + o);
            for (int q = 0; q < k; q++) {
                acc += edges.phi()[e * k + q] * fn.weight()[row + q];
            }
            w[o] = acc * fc;
        }
    }

    /**
     * Adds this layer's share of ∂E/∂φ(e) and ∂E/∂fc(e), given gw = ∂E/∂W_e (3F):
     * gφ_k += fc · Σ_o gw_o W_f[o,k];  gfc += Σ_o gw_o · (φ·W_fᵀ + b_f)_o.
     */
    public static void backward(PainnModel model, int layer, Radial.Edges edges, int e, double[] gw,
                                double[] gPhi, double[] gFc) {
        Dense fn = model.filter;
        int k = edges.k();
        int row0 = blockRow(model, layer);
        double fc = edges.fc()[e];
        double gfc = 0;
        for (int o = 0; o < gw.length; o++) {
            int row = (row0 + o) * k;
            double pre = fn.b(row0 + o);
            double g = gw[o];
            for (int q = 0; q < k; q++) {
                pre += edges.phi()[e * k + q] * fn.weight()[row + q];
                gPhi[e * k + q] += fc * g * fn.weight()[row + q];
            }
            gfc += g * pre;
        }
        gFc[e] += gfc;
    }
}
