package org.painn4j.cpu;

import org.painn4j.model.PainnModel;

/**
 * Stage 4, the mixing (update) block of layer l, atom by atom:
 * <pre>
 *   (V, U) = split(Dense_mix(v))            per Cartesian component, no bias
 *   n = sqrt(Σ_xyz V² + ε)
 *   (p, q, r) = split(Dense₄(silu(Dense₃([s, n]))))
 *   s ← s + p + r ⊙ Σ_xyz (V ⊙ U)          v ← v + q ⊙ U
 * </pre>
 * Layouts: s [N][F], v [N][3][F], VU [N][3][2F], y = (p, q, r) [N][3F].
 */
public final class Mixing {
    private Mixing() {
    }

    /** What the forward pass keeps for the backward pass, and the outputs. */
    public record Saved(double[] vu, double[] norm, double[] hPre, double[] y,
                        double[] sOut, double[] vOut) {
    }

    /** Adjoints of the block's inputs s and v. */
    public record Grad(double[] gs, double[] gv) {
    }

    public static Saved forward(PainnModel model, int layer, int atoms, double[] s, double[] v) {
        int f = model.config.nAtomBasis();
        double eps = model.config.epsilon();
        double[] vu = DenseOps.forward(model.channelMix[layer], v, 3 * atoms);
        double[] norm = new double[atoms * f];
        double[] ctx = new double[atoms * 2 * f];
        for (int i = 0; i < atoms; i++) {
            for (int ft = 0; ft < f; ft++) {
                double sq = eps;
                for (int ax = 0; ax < 3; ax++) {
                    double vv = vu[(i * 3 + ax) * 2 * f + ft];
                    sq += vv * vv;
                }
                norm[i * f + ft] = Math.sqrt(sq);
                ctx[i * 2 * f + ft] = s[i * f + ft];
                ctx[i * 2 * f + f + ft] = norm[i * f + ft];
            }
        }
        double[] hPre = DenseOps.forward(model.mixing1[layer], ctx, atoms);
        double[] y = DenseOps.forward(model.mixing2[layer], Silu.apply(hPre), atoms);
        double[] sOut = s.clone();
        double[] vOut = v.clone();
        for (int i = 0; i < atoms; i++) {
            for (int ft = 0; ft < f; ft++) {
                double p = y[i * 3 * f + ft];
                double q = y[i * 3 * f + f + ft];
                double r = y[i * 3 * f + 2 * f + ft];
                double dot = 0;
                for (int ax = 0; ax < 3; ax++) {
                    int at = (i * 3 + ax) * 2 * f + ft;
                    dot += vu[at] * vu[at + f];
                    vOut[(i * 3 + ax) * f + ft] += q * vu[at + f];
                }
                sOut[i * f + ft] += p + r * dot;
            }
        }
        return new Saved(vu, norm, hPre, y, sOut, vOut);
    }

    /** Given ∂E/∂s_out and ∂E/∂v_out, returns ∂E/∂s and ∂E/∂v (derivation.md §5). */
    public static Grad backward(PainnModel model, int layer, int atoms, Saved saved,
                                double[] gsOut, double[] gvOut) {
        int f = model.config.nAtomBasis();
        double[] vu = saved.vu();
        double[] y = saved.y();
        double[] gy = new double[atoms * 3 * f];
        double[] gvu = new double[atoms * 3 * 2 * f];
        for (int i = 0; i < atoms; i++) {
            for (int ft = 0; ft < f; ft++) {
                double g = gsOut[i * f + ft];
                double q = y[i * 3 * f + f + ft];
                double r = y[i * 3 * f + 2 * f + ft];
                double dot = 0;
                double gq = 0;
                for (int ax = 0; ax < 3; ax++) {
                    int at = (i * 3 + ax) * 2 * f + ft;
                    double gvo = gvOut[(i * 3 + ax) * f + ft];
                    dot += vu[at] * vu[at + f];
                    gq += gvo * vu[at + f];
                    double gS = g * r;
                    gvu[at] = gS * vu[at + f];
                    gvu[at + f] = gvo * q + gS * vu[at];
                }
                gy[i * 3 * f + ft] = g;
                gy[i * 3 * f + f + ft] = gq;
                gy[i * 3 * f + 2 * f + ft] = g * dot;
            }
        }
        double[] gh = DenseOps.backward(model.mixing2[layer], gy, atoms);
        double[] gctx = DenseOps.backward(model.mixing1[layer], Silu.backward(gh, saved.hPre()), atoms);
        double[] gs = gsOut.clone();
        for (int i = 0; i < atoms; i++) {
            for (int ft = 0; ft < f; ft++) {
                gs[i * f + ft] += gctx[i * 2 * f + ft];
                double gn = gctx[i * 2 * f + f + ft] / saved.norm()[i * f + ft];
                for (int ax = 0; ax < 3; ax++) {
                    int at = (i * 3 + ax) * 2 * f + ft;
                    gvu[at] += gn * vu[at];
                }
            }
        }
        double[] gv = DenseOps.backward(model.channelMix[layer], gvu, 3 * atoms);
        for (int i = 0; i < gv.length; i++) {
            gv[i] += gvOut[i];
        }
        return new Grad(gs, gv);
    }
}
