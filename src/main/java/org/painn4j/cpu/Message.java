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
        // Rows are independent: center i's sums are written by i's chunk alone.
        Parallel.range(n, rowGrain(list, model), (from, to) -> {
            double[] w = new double[3 * f];
            for (int i = from; i < to; i++) {
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
        });
        return new Saved(hPre, x, sOut, vOut);
    }

    /**
     * Given gs' = ∂E/∂s_out and gv' = ∂E/∂v_out, returns ∂E/∂s and ∂E/∂v, and adds the
     * block's share of ∂E/∂φ, ∂E/∂fc (through the filter) and ∂E/∂u (derivation.md §4).
     */
    public static Grad backward(PainnModel model, int layer, NeighborList list, Radial.Edges edges,
                                double[] v, Saved saved, double[] gsOut, double[] gvOut,
                                double[] gPhi, double[] gFc, double[] gU) {
        long batch = Backward.BATCH_VALUES / (6L * model.config.nAtomBasis());
        return backward(model, layer, list, edges, v, saved, gsOut, gvOut, gPhi, gFc, gU,
                (int) Math.max(1, Math.min(list.edges(), batch)));
    }

    /** As above, with what edges add to their neighbors held for batches of {@code batch} edges. */
    static Grad backward(PainnModel model, int layer, NeighborList list, Radial.Edges edges, double[] v,
                         Saved saved, double[] gsOut, double[] gvOut, double[] gPhi, double[] gFc, double[] gU,
                         int batch) {
        int f = model.config.nAtomBasis();
        int n = list.atoms;
        double[] gv = gvOut.clone();
        double[] gx = new double[n * 3 * f];
        new Backward(model, layer, list, edges, v, saved.x(), gsOut, gvOut, gPhi, gFc, gU).run(gv, gx, batch);
        double[] gh = DenseOps.backward(model.context2[layer], gx, n);
        double[] gsCtx = DenseOps.backward(model.context1[layer], Silu.backward(gh, saved.hPre()), n);
        double[] gs = gsOut.clone();
        for (int i = 0; i < gs.length; i++) {
            gs[i] += gsCtx[i];
        }
        return new Grad(gs, gv);
    }

    /** The fewest centers worth a parallel chunk; an edge costs some 3F·K multiply-adds. */
    private static int rowGrain(NeighborList list, PainnModel model) {
        long perAtom = Math.max(1, list.edges() / Math.max(1, list.atoms));
        return Parallel.minChunk(perAtom * 3 * model.config.nAtomBasis() * model.config.nRbf());
    }

    /**
     * The edges' part of the backward pass. An edge e = (i, j) adds its own adjoints (∂E/∂u,
     * and through the filter ∂E/∂φ, ∂E/∂fc) in place; what it adds to its neighbor's gv_j and gx_j
     * is computed in parallel over the centers of a batch of edges and kept per edge, then added
     * to each j in edge order, the order of a serial scatter: the same bits for any number of
     * threads.
     */
    private static final class Backward {
        /** Doubles held per batch of edges for what they add to their neighbors (16 MB). */
        private static final long BATCH_VALUES = 1 << 21;

        private final PainnModel model;
        private final int layer;
        private final int f;
        private final NeighborList list;
        private final Radial.Edges edges;
        private final double[] v;
        private final double[] x;
        private final double[] gsOut;
        private final double[] gvOut;
        private final double[] gPhi;
        private final double[] gFc;
        private final double[] gU;

        Backward(PainnModel model, int layer, NeighborList list, Radial.Edges edges, double[] v, double[] x,
                 double[] gsOut, double[] gvOut, double[] gPhi, double[] gFc, double[] gU) {
            this.model = model;
            this.layer = layer;
            this.f = model.config.nAtomBasis();
            this.list = list;
            this.edges = edges;
            this.v = v;
            this.x = x;
            this.gsOut = gsOut;
            this.gvOut = gvOut;
            this.gPhi = gPhi;
            this.gFc = gFc;
            this.gU = gU;
        }

        /** Adds every edge's share to gv and gx ([N][3][F] and [N][3F]), a batch of edges at a time. */
        void run(double[] gv, double[] gx, int batch) {
            int n = list.atoms;
            int row = 3 * f;
            Incoming incoming = Incoming.of(list);
            int[] cursor = incoming.start.clone();
            int grain = rowGrain(list, model);
            double[] heldV = new double[Math.min(list.edges(), batch) * row];
            double[] heldX = new double[heldV.length];
            for (int i0 = 0; i0 < n; ) {
                int e0 = list.rowStart[i0];
                int i1 = i0 + 1;
                while (i1 < n && list.rowStart[i1 + 1] - e0 <= batch) {
                    i1++;
                }
                int e1 = list.rowStart[i1];
                // every value of a batch is written before it is read; a row longer than a batch
                // alone gets its own
                boolean fits = e1 - e0 <= batch;
                double[] toV = fits ? heldV : new double[(e1 - e0) * row];
                double[] toX = fits ? heldX : new double[(e1 - e0) * row];
                int first = i0;
                Parallel.range(i1 - i0, grain, (from, to) -> {
                    double[] w = new double[row];
                    double[] gw = new double[row];
                    for (int i = first + from; i < first + to; i++) {
                        for (int e = list.rowStart[i]; e < list.rowStart[i + 1]; e++) {
                            edge(i, e, w, gw, toV, toX, (e - e0) * row);
                        }
                    }
                });
                Parallel.range(n, Parallel.minChunk(2L * row * Math.max(1, (e1 - e0) / n)), (from, to) -> {
                    for (int j = from; j < to; j++) {
                        int p = cursor[j];
                        for (; p < incoming.start[j + 1] && incoming.edge[p] < e1; p++) {
                            int at = (incoming.edge[p] - e0) * row;
                            for (int q = 0; q < row; q++) {
                                gv[j * row + q] += toV[at + q];
                                gx[j * row + q] += toX[at + q];
                            }
                        }
                        cursor[j] = p;
                    }
                });
                i0 = i1;
            }
        }

        /**
         * Edge e of center i; what it adds to gv_j, gx_j goes to toV, toX at {@code at}. The
         * filter's adjoint gw needs no filter values, so one pass over the filter weights gives
         * both its backward pass and the values W_e that the rest needs.
         */
        private void edge(int i, int e, double[] w, double[] gw, double[] toV, double[] toX, int at) {
            int j = list.neighbor[e];
            for (int ft = 0; ft < f; ft++) {
                double xb = x[j * 3 * f + f + ft];
                double xc = x[j * 3 * f + 2 * f + ft];
                gw[ft] = gsOut[i * f + ft] * x[j * 3 * f + ft];
                gw[f + ft] = gb(i, e, ft) * xb;
                gw[2 * f + ft] = gc(i, j, ft) * xc;
            }
            Filter.backward(model, layer, edges, e, gw, w, gPhi, gFc);
            for (int ft = 0; ft < f; ft++) {
                double xb = x[j * 3 * f + f + ft];
                double xc = x[j * 3 * f + 2 * f + ft];
                for (int ax = 0; ax < 3; ax++) {
                    double g = gvOut[(i * 3 + ax) * f + ft];
                    toV[at + ax * f + ft] = g * w[2 * f + ft] * xc;
                    gU[3 * e + ax] += g * w[f + ft] * xb;
                }
                toX[at + ft] = gsOut[i * f + ft] * w[ft];
                toX[at + f + ft] = gb(i, e, ft) * w[f + ft];
                toX[at + 2 * f + ft] = gc(i, j, ft) * w[2 * f + ft];
            }
        }

        /** Σ_xyz gv'_i · u_e: the adjoint of the b block's product, feature ft. */
        private double gb(int i, int e, int ft) {
            double gb = 0;
            for (int ax = 0; ax < 3; ax++) {
                gb += gvOut[(i * 3 + ax) * f + ft] * edges.u()[3 * e + ax];
            }
            return gb;
        }

        /** Σ_xyz gv'_i · v_j: the adjoint of the c block's product, feature ft. */
        private double gc(int i, int j, int ft) {
            double gc = 0;
            for (int ax = 0; ax < 3; ax++) {
                gc += gvOut[(i * 3 + ax) * f + ft] * v[(j * 3 + ax) * f + ft];
            }
            return gc;
        }
    }

    /** The edges whose neighbor is j, edge[start[j] .. start[j+1]), in ascending order. */
    private record Incoming(int[] start, int[] edge) {
        static Incoming of(NeighborList list) {
            int[] start = new int[list.atoms + 1];
            for (int e = 0; e < list.edges(); e++) {
                start[list.neighbor[e] + 1]++;
            }
            for (int j = 0; j < list.atoms; j++) {
                start[j + 1] += start[j];
            }
            int[] next = start.clone();
            int[] edge = new int[list.edges()];
            for (int e = 0; e < list.edges(); e++) {
                edge[next[list.neighbor[e]]++] = e;
            }
            return new Incoming(start, edge);
        }
    }
}
