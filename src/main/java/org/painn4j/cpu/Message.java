package org.painn4j.cpu;

import org.painn4j.model.PainnModel;
import org.painn4j.structure.NeighborList;

/**
 * Stage 3, the interaction (message) block of layer l:
 * <pre>
 *   x_j = Dense₂(silu(Dense₁(s_j)))                (a, b, c) = split(W_ij ⊙ x_j)
 *   s_i ← s_i + Σ_j a        v_i ← v_i + Σ_j (b ⊗ u_ij + c ⊙ v_j)
 * </pre>
 * Sums run over center i's row of the neighbor list, in its order.
 * Layouts: s [N][F], v [N][3][F], x [N][3F].
 */
public final class Message {
    private Message() {
    }

    /** What the forward pass keeps: the context-net pre-activation h and x, and the outputs. */
    public record Saved(double[] hPre, double[] x, double[] sOut, double[] vOut) {
    }

    /** Adjoints of the block's inputs s and v. */
    public record Grad(double[] gs, double[] gv) {
    }

    public static Saved forward(PainnModel model, int layer, NeighborList list, Radial.Edges edges,
                                double[] s, double[] v) {
        int f = model.config.nAtomBasis();
        int n = list.atoms;
        double[] hPre = DenseOps.forward(model.context1[layer], s, n);
        double[] x = DenseOps.forward(model.context2[layer], Silu.apply(hPre), n);
        double[] sOut = s.clone();
        double[] vOut = v.clone();
        double[] w = new double[3 * f];
        for (int i = 0; i < n; i++) {
            for (int e = list.rowStart[i]; e < list.rowStart[i + 1]; e++) {
                int j = list.neighbor[e];
                Filter.forward(model, layer, edges, e, w);
                for (int ft = 0; ft < f; ft++) {
                    double a = w[ft] * x[j * 3 * f + ft];
                    double b = w[f + ft] * x[j * 3 * f + f + ft];
                    double c = w[2 * f + ft] * x[j * 3 * f + 2 * f + ft];
                    sOut[i * f + ft] += a;
                    for (int ax = 0; ax < 3; ax++) {
                        vOut[(i * 3 + ax) * f + ft] += b * edges.u()[3 * e + ax] + c * v[(j * 3 + ax) * f + ft];
                    }
                }
            }
        }
        return new Saved(hPre, x, sOut, vOut);
    }

    /**
     * Given gs' = ∂E/∂s_out and gv' = ∂E/∂v_out, returns ∂E/∂s and ∂E/∂v, and adds the
     * block's share of ∂E/∂φ, ∂E/∂fc (through the filter) and ∂E/∂u (derivation.md §4).
     */
    public static Grad backward(PainnModel model, int layer, NeighborList list, Radial.Edges edges,
                                double[] v, Saved saved, double[] gsOut, double[] gvOut,
                                double[] gPhi, double[] gFc, double[] gU) {
        int f = model.config.nAtomBasis();
        int n = list.atoms;
        double[] x = saved.x();
        double[] gs = gsOut.clone();
        double[] gv = gvOut.clone();
        double[] gx = new double[n * 3 * f];
        double[] w = new double[3 * f];
        double[] gw = new double[3 * f];
        for (int i = 0; i < n; i++) {
            for (int e = list.rowStart[i]; e < list.rowStart[i + 1]; e++) {
                int j = list.neighbor[e];
                Filter.forward(model, layer, edges, e, w);
                for (int ft = 0; ft < f; ft++) {
                    double ga = gsOut[i * f + ft];
                    double gb = 0;
                    double gc = 0;
                    double xb = x[j * 3 * f + f + ft];
                    double xc = x[j * 3 * f + 2 * f + ft];
                    for (int ax = 0; ax < 3; ax++) {
                        double g = gvOut[(i * 3 + ax) * f + ft];
                        gb += g * edges.u()[3 * e + ax];
                        gc += g * v[(j * 3 + ax) * f + ft];
                        gv[(j * 3 + ax) * f + ft] += g * w[2 * f + ft] * xc;
                        gU[3 * e + ax] += g * w[f + ft] * xb;
                    }
                    gw[ft] = ga * x[j * 3 * f + ft];
                    gw[f + ft] = gb * xb;
                    gw[2 * f + ft] = gc * xc;
                    gx[j * 3 * f + ft] += ga * w[ft];
                    gx[j * 3 * f + f + ft] += gb * w[f + ft];
                    gx[j * 3 * f + 2 * f + ft] += gc * w[2 * f + ft];
                }
                Filter.backward(model, layer, edges, e, gw, gPhi, gFc);
            }
        }
        double[] gh = DenseOps.backward(model.context2[layer], gx, n);
        double[] gsCtx = DenseOps.backward(model.context1[layer], Silu.backward(gh, saved.hPre()), n);
        for (int i = 0; i < gs.length; i++) {
            gs[i] += gsCtx[i];
        }
        return new Grad(gs, gv);
    }
}
