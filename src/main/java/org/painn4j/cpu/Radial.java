package org.painn4j.cpu;

import org.painn4j.model.PainnModel;
import org.painn4j.model.RadialBasis;

/**
 * Stage 1, edge geometry + radial basis + cosine cutoff: from the edge vectors r_ij to
 * d = |r|, u = r/d, φ_k(d), fc(d), and their derivatives by d, which the backward pass needs.
 * Backward: from ∂E/∂φ, ∂E/∂fc and ∂E/∂u to ∂E/∂r_ij (derivation.md §2).
 */
public final class Radial {
    private Radial() {
    }

    /** Per-edge features, [E], [E][3], [E][K]. */
    public record Edges(int count, int k, double[] d, double[] u, double[] phi, double[] dphi,
                        double[] fc, double[] dfc) {
    }

    public static Edges forward(PainnModel model, double[] vectors) {
        int e = vectors.length / 3;
        int k = model.config.nRbf();
        double[] d = new double[e];
        double[] u = new double[3 * e];
        double[] phi = new double[e * k];
        double[] dphi = new double[e * k];
        double[] fc = new double[e];
        double[] dfc = new double[e];
        Parallel.range(e, EDGE_GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                edge(model, vectors, i, d, u, phi, dphi, fc, dfc);
            }
        });
        return new Edges(e, k, d, u, phi, dphi, fc, dfc);
    }

    /** The fewest edges worth a parallel chunk: each a few dozen exponentials. */
    private static final int EDGE_GRAIN = 128;

    private static void edge(PainnModel model, double[] vectors, int i, double[] d, double[] u, double[] phi,
                             double[] dphi, double[] fc, double[] dfc) {
        int k = model.config.nRbf();
        double rc = model.config.cutoff();
        double x = vectors[3 * i];
        double y = vectors[3 * i + 1];
        double z = vectors[3 * i + 2];
        double r = Math.sqrt(x * x + y * y + z * z);
        d[i] = r;
        u[3 * i] = x / r;
        u[3 * i + 1] = y / r;
        u[3 * i + 2] = z / r;
        basis(model, r, phi, dphi, i * k);
        if (r < rc) {
            double a = Math.PI / rc;
            fc[i] = 0.5 * (Math.cos(a * r) + 1.0);
            dfc[i] = -0.5 * a * Math.sin(a * r);
        }
    }

    private static void basis(PainnModel model, double r, double[] phi, double[] dphi, int at) {
        int k = model.config.nRbf();
        if (model.config.radialBasis() == RadialBasis.GAUSSIAN) {
            for (int q = 0; q < k; q++) {
                double sigma = model.rbfWidths[q];
                double diff = r - model.rbfOffsets[q];
                double p = Math.exp(-diff * diff / (2 * sigma * sigma));
                phi[at + q] = p;
                dphi[at + q] = -diff / (sigma * sigma) * p;
            }
        } else {
            for (int q = 0; q < k; q++) {
                double w = model.rbfFreqs[q];
                double p = Math.sin(w * r) / r;
                phi[at + q] = p;
                dphi[at + q] = (w * Math.cos(w * r) - p) / r;
            }
        }
    }

    /**
     * ∂E/∂r for each edge, [E][3]: gd = Σ_k gφ_k φ'_k + gfc·fc', then
     * ∂E/∂r = gd·u + (gu − (gu·u) u) / d.
     */
    public static double[] backward(Edges edges, double[] gPhi, double[] gFc, double[] gU) {
        double[] gr = new double[3 * edges.count()];
        Parallel.range(edges.count(), EDGE_GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                edgeBackward(edges, gPhi, gFc, gU, i, gr);
            }
        });
        return gr;
    }

    private static void edgeBackward(Edges edges, double[] gPhi, double[] gFc, double[] gU, int i, double[] gr) {
        int k = edges.k();
        double gd = gFc[i] * edges.dfc()[i];
        for (int q = 0; q < k; q++) {
            gd += gPhi[i * k + q] * edges.dphi()[i * k + q];
        }
        double ux = edges.u()[3 * i];
        double uy = edges.u()[3 * i + 1];
        double uz = edges.u()[3 * i + 2];
        double gx = gU[3 * i];
        double gy = gU[3 * i + 1];
        double gz = gU[3 * i + 2];
        double dot = gx * ux + gy * uy + gz * uz;
        double inv = 1.0 / edges.d()[i];
        gr[3 * i] = gd * ux + (gx - dot * ux) * inv;
        gr[3 * i + 1] = gd * uy + (gy - dot * uy) * inv;
        gr[3 * i + 2] = gd * uz + (gz - dot * uz) * inv;
    }
}
