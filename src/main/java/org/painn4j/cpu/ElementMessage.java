package org.painn4j.cpu;

import java.util.Arrays;
import org.painn4j.model.Dense;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.NeighborList;

/**
 * Layer 0's message block "by elements" (derivation.md §4b), the float64 twin of the GPU
 * engine's layer 0 for larger structures (element.cu, {@code gpu.ElementKernels}).
 *
 * <p>In layer 0, s⁰_i = embedding[Z_i] and v⁰ = 0, so the context features x_j depend on the
 * element Z_j alone and the c-block of the message drops out. With φ̃ = (φ_0..φ_{K−1}, 1)
 * (the last, constant "bias basis" carries the filter bias) the direct message
 * <pre>
 *   s'_i = s⁰_i + Σ_{e=(i,j)} W^a_e ⊙ x^a(Z_j)        W_e = (φ_e·W_fᵀ + b_f)·fc_e
 *   v'_i,c =      Σ_{e=(i,j)} W^b_e ⊙ x^b(Z_j) u_e,c
 * </pre>
 * factors through per-atom, per-element radial sums
 * P[i][z,k] = Σ_{e in row i, Z_j = z} fc_e φ̃_e,k and Q[i,c][z,k] = Σ fc_e φ̃_e,k u_e,c:
 * s' = P·Ma and v' = Q·Mb with small per-element tables Ma[z,k][f] = w^a_f,k x^a(z)_f,
 * Mb[z,k][f] = w^b_f,k x^b(z)_f; one-hot columns of P (rows of Ma holding the embedding) add
 * s⁰. Per edge this costs K + 1 sums (times four: P and the three Q) instead of the filter's
 * F·K products per block (3F·K in the direct pass, 2F·K of them needed since the c block drops
 * out), and the rest is two dense GEMMs with L ≈ nE·(K + 2) columns.
 *
 * <p>Layouts: P [n][L], Q [n][3][L] (row i·3+c), Ma and Mb [L][F]; column q = z·(K+1) + k
 * for the radial columns of element slot z, nE·(K+1) + z for the one-hot columns, then zero
 * padding up to a multiple of 4. Elements are the structure's distinct atomic numbers,
 * ascending.
 */
public final class ElementMessage {
    private ElementMessage() {
    }

    /**
     * The structure's elements (ascending), each atom's slot among them, K + 1, the width L and
     * the tables Ma, Mb [L][F].
     */
    public record Tables(int[] elements, int[] slot, int k1, int width, double[] ma, double[] mb) {
    }

    /** P [n][L] and Q [n][3][L]. */
    public record Sums(double[] p, double[] q) {
    }

    /** The sums, and the block's outputs s' [n][F] and v' [n][3][F]. */
    public record Saved(Sums sums, double[] sMid, double[] vMid) {
    }

    /** RA = gs'·Maᵀ [n][L] and RB = gv'·Mbᵀ [n][3][L]. */
    public record Grad(double[] ra, double[] rb) {
    }

    /** Columns of P, Q, Ma, Mb: K + 1 per element, one one-hot per element, padded to a multiple of 4. */
    public static int width(int elementCount, int k) {
        return (elementCount * (k + 2) + 3) / 4 * 4;
    }

    /** Elements and slots of the given atomic numbers, and layer 0's tables for them. */
    public static Tables tables(PainnModel model, int[] numbers) {
        int f = model.config.nAtomBasis();
        int k = model.config.nRbf();
        int k1 = k + 1;
        int[] elements = Arrays.stream(numbers).distinct().sorted().toArray();
        int ne = elements.length;
        int[] slot = new int[numbers.length];
        for (int i = 0; i < numbers.length; i++) {
            slot[i] = Arrays.binarySearch(elements, numbers[i]);
        }
        // x of each element, as Message.forward forms it for an atom of that element
        double[] emb = new double[ne * f];
        for (int z = 0; z < ne; z++) {
            System.arraycopy(model.embedding, elements[z] * f, emb, z * f, f);
        }
        double[] x = DenseOps.forward(model.context2[0],
                Silu.apply(DenseOps.forward(model.context1[0], emb, ne)), ne);
        Dense fn = model.filter;
        int row0 = Filter.blockRow(model, 0);
        int width = width(ne, k);
        double[] ma = new double[width * f];
        double[] mb = new double[width * f];
        for (int z = 0; z < ne; z++) {
            for (int kk = 0; kk < k1; kk++) {
                int q = z * k1 + kk;
                for (int ft = 0; ft < f; ft++) {
                    int ra = row0 + ft;
                    int rb = row0 + f + ft;
                    double wa = kk < k ? fn.weight()[ra * k + kk] : fn.b(ra);
                    double wb = kk < k ? fn.weight()[rb * k + kk] : fn.b(rb);
                    ma[q * f + ft] = wa * x[z * 3 * f + ft];
                    mb[q * f + ft] = wb * x[z * 3 * f + f + ft];
                }
            }
            System.arraycopy(emb, z * f, ma, (ne * k1 + z) * f, f);
        }
        return new Tables(elements, slot, k1, width, ma, mb);
    }

    /** P and Q over each atom's row of the list, in row order. */
    public static Sums sums(Tables t, NeighborList list, Radial.Edges edges) {
        int n = list.atoms;
        int k = edges.k();
        int k1 = t.k1();
        int width = t.width();
        int ne = t.elements().length;
        double[] p = new double[n * width];
        double[] q = new double[3 * n * width];
        double[] phi = edges.phi();
        double[] u = edges.u();
        for (int i = 0; i < n; i++) {
            int pRow = i * width;
            for (int e = list.rowStart[i]; e < list.rowStart[i + 1]; e++) {
                int base = t.slot()[list.neighbor[e]] * k1;
                double fc = edges.fc()[e];
                for (int kk = 0; kk < k1; kk++) {
                    double w = fc * (kk < k ? phi[e * k + kk] : 1.0);
                    p[pRow + base + kk] += w;
                    for (int c = 0; c < 3; c++) {
                        q[(i * 3 + c) * width + base + kk] += w * u[3 * e + c];
                    }
                }
            }
            p[pRow + ne * k1 + t.slot()[i]] = 1.0;
        }
        return new Sums(p, q);
    }

    /** s' = P·Ma [n][F] (s⁰ included through the one-hot columns) and v' = Q·Mb [n][3][F]. */
    public static Saved forward(Tables t, NeighborList list, Radial.Edges edges, int f) {
        Sums sums = sums(t, list, edges);
        int n = list.atoms;
        // Ma and Mb are stored as a dense layer's weight [L][F]: P·Ma is that layer's input adjoint
        double[] sMid = DenseOps.backward(table(t.ma(), t.width(), f), sums.p(), n);
        double[] vMid = DenseOps.backward(table(t.mb(), t.width(), f), sums.q(), 3 * n);
        return new Saved(sums, sMid, vMid);
    }

    /**
     * Given gs' and gv', forms RA and RB and adds the block's ∂E/∂d (with φ, fc folded in:
     * gd = Σ_k gφ̃_k φ̃'_k, fc' included) into gd [E] and ∂E/∂u (d held fixed) into gU [E][3].
     */
    public static Grad backward(Tables t, NeighborList list, Radial.Edges edges, int f,
                                double[] gsMid, double[] gvMid, double[] gd, double[] gU) {
        int n = list.atoms;
        int k = edges.k();
        int k1 = t.k1();
        int width = t.width();
        double[] ra = DenseOps.forward(table(t.ma(), width, f), gsMid, n);
        double[] rb = DenseOps.forward(table(t.mb(), width, f), gvMid, 3 * n);
        double[] phi = edges.phi();
        double[] dphi = edges.dphi();
        double[] u = edges.u();
        for (int i = 0; i < n; i++) {
            int aRow = i * width;
            int b0 = (i * 3) * width;
            int b1 = b0 + width;
            int b2 = b1 + width;
            for (int e = list.rowStart[i]; e < list.rowStart[i + 1]; e++) {
                int base = t.slot()[list.neighbor[e]] * k1;
                double fc = edges.fc()[e];
                double dfc = edges.dfc()[e];
                double u0 = u[3 * e];
                double u1 = u[3 * e + 1];
                double u2 = u[3 * e + 2];
                double sd = 0;
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                for (int kk = 0; kk < k1; kk++) {
                    double ph = kk < k ? phi[e * k + kk] : 1.0;
                    double dp = kk < k ? dphi[e * k + kk] : 0.0;
                    double rb0 = rb[b0 + base + kk];
                    double rb1 = rb[b1 + base + kk];
                    double rb2 = rb[b2 + base + kk];
                    double a = ra[aRow + base + kk] + u0 * rb0 + u1 * rb1 + u2 * rb2;
                    double fp = fc * ph;
                    sd += a * (dfc * ph + fc * dp);
                    s0 += fp * rb0;
                    s1 += fp * rb1;
                    s2 += fp * rb2;
                }
                gd[e] += sd;
                gU[3 * e] += s0;
                gU[3 * e + 1] += s1;
                gU[3 * e + 2] += s2;
            }
        }
        return new Grad(ra, rb);
    }

    /** A table [L][F] as a bias-free dense layer F → L. */
    private static Dense table(double[] m, int width, int f) {
        return new Dense(f, width, m, null);
    }
}
