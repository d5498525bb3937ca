package org.painn4j.structure;

import java.util.Arrays;
import java.util.Locale;

import org.painn4j.InputException;

/**
 * Atoms sorted into bins of a parallelepiped grid, so that every neighbor of an atom lies in
 * the bins within {@link #reach} steps of its own (periodic axes wrapping around).
 *
 * <p>The grid lives in fractional coordinates of a frame whose rows are the periodic lattice
 * vectors, completed with orthonormal vectors along the non-periodic axes. The given cell rows
 * of non-periodic axes are ignored: they may be zero (as ASE writes slabs) and never enter a
 * shift. Along a periodic axis the grid spans one cell, the atoms wrapped into it; along a
 * non-periodic axis it spans the atoms' extent. Every bin is at least cutoff·(1 + 1e-8) thick
 * between its faces (unless the cell itself is thinner), which bounds the search to one bin
 * either way and leaves a margin for rounding in the fractional coordinates.
 *
 * <p>Occupied bins are stored as sorted packed keys, so a sparse or huge box costs nothing:
 * a molecule spread over kilometres takes as little memory as a compact one. Only when the
 * grid is small next to N is a lookup table over all of it added.
 */
final class CellBins {
    /** Bins per axis are capped so three coordinates pack into one long; wider bins stay correct. */
    private static final int MAX_BINS = 1 << 20;
    private static final int BITS = 21;
    /** Atoms farther than this many cells outside are refused: images must fit an int. */
    private static final double MAX_WRAP = 1 << 28;
    private static final double MARGIN = 1 + 1e-8;
    private static final double MAX_IMAGES = 1e7;
    private static final int MAX_REACH = 1 << 24;

    final boolean[] periodic;
    /** Bins along each axis. */
    final int[] count = new int[3];
    /** How many bins to search on each side of an atom's bin along each axis. */
    final int[] reach = new int[3];
    /** [3N] floor of the fractional coordinate on periodic axes (cells the atom sits outside), else 0. */
    final int[] wrap;
    /** [3N] the atom's bin coordinate along each axis. */
    final int[] bin;
    /** Occupied bins: sorted packed keys; bin k holds atoms[start[k] .. start[k+1]-1], ascending. */
    final long[] keys;
    final int[] start;
    final int[] atoms;
    /** [3N] positions and wraps of atoms[p] at 3p: the inner loop reads them in sequence. */
    final double[] binnedPos;
    final int[] binnedWrap;
    /** Occupied-bin index of every grid bin, row-major; null when the grid is sparse. */
    private final int[] dense;

    CellBins(double[] pos, double[] cell, boolean[] pbc, double cutoff) {
        int n = pos.length / 3;
        periodic = pbc.clone();
        double[] frame = frame(cell, pbc);
        double[] inv = Mat3.inverse(frame);
        wrap = new int[3 * n];
        bin = new int[3 * n];
        double[] frac = new double[n];
        for (int d = 0; d < 3; d++) {
            // Distance between the lattice planes f_d = 0 and f_d = 1.
            double height = 1 / Math.sqrt(inv[d] * inv[d] + inv[3 + d] * inv[3 + d]
                    + inv[6 + d] * inv[6 + d]);
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                double f = pos[3 * i] * inv[d] + pos[3 * i + 1] * inv[3 + d] + pos[3 * i + 2] * inv[6 + d];
                if (periodic[d]) {
                    double w = Math.floor(f);
                    if (Math.abs(w) > MAX_WRAP) {
                        throw InputException.atAtoms("atom " + i + " lies "
                                + String.format(Locale.ROOT, "%.3g", w) + " cells outside the periodic cell", i);
                    }
                    wrap[3 * i + d] = (int) w;
                    f -= w;
                }
                frac[i] = f;
                lo = Math.min(lo, f);
                hi = Math.max(hi, f);
            }
            if (periodic[d]) {
                lo = 0;
                hi = 1;
            }
            double extent = n == 0 ? 0 : (hi - lo) * height;
            int bins = (int) Math.max(1, Math.min(MAX_BINS, Math.floor(extent / (cutoff * MARGIN))));
            count[d] = bins;
            if (bins > 1) {
                reach[d] = 1;
            } else {
                // A cell thinner than the cutoff: several of its images along d are in range.
                reach[d] = periodic[d] ? (int) Math.min(MAX_REACH, Math.ceil(cutoff * MARGIN / height)) : 0;
            }
            for (int i = 0; i < n; i++) {
                int b = bins == 1 ? 0 : (int) Math.floor((frac[i] - lo) / (hi - lo) * bins);
                bin[3 * i + d] = Math.max(0, Math.min(bins - 1, b));
            }
        }

        double images = (2.0 * reach[0] + 1) * (2.0 * reach[1] + 1) * (2.0 * reach[2] + 1);
        if (images > MAX_IMAGES) {
            // Such a cell holds atoms a fraction of an Å apart; searching it would never end.
            throw new InputException(String.format(Locale.ROOT,
                    "the periodic cell is too thin for cutoff %.3g Å: %.3g images of each atom are in reach",
                    cutoff, images));
        }

        long[] atomKey = new long[n];
        for (int i = 0; i < n; i++) {
            atomKey[i] = key(bin[3 * i], bin[3 * i + 1], bin[3 * i + 2]);
        }
        long[] sorted = atomKey.clone();
        Arrays.sort(sorted);
        int unique = 0;
        for (int i = 0; i < n; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                sorted[unique++] = sorted[i];
            }
        }
        keys = Arrays.copyOf(sorted, unique);
        start = new int[unique + 1];
        int[] binOf = new int[n];
        for (int i = 0; i < n; i++) {
            binOf[i] = Arrays.binarySearch(keys, atomKey[i]);
            start[binOf[i] + 1]++;
        }
        for (int k = 0; k < unique; k++) {
            start[k + 1] += start[k];
        }
        atoms = new int[n];
        int[] fill = Arrays.copyOf(start, unique);
        for (int i = 0; i < n; i++) {
            atoms[fill[binOf[i]]++] = i;
        }
        binnedPos = new double[3 * n];
        binnedWrap = new int[3 * n];
        for (int p = 0; p < n; p++) {
            System.arraycopy(pos, 3 * atoms[p], binnedPos, 3 * p, 3);
            System.arraycopy(wrap, 3 * atoms[p], binnedWrap, 3 * p, 3);
        }
        // Dense systems fill most of the grid: a table then beats a binary search per lookup.
        double grid = (double) count[0] * count[1] * count[2];
        if (grid <= 4.0 * n + 4096) {
            dense = new int[(int) grid];
            Arrays.fill(dense, -1);
            for (int k = 0; k < unique; k++) {
                int a = atoms[start[k]];
                dense[(bin[3 * a] * count[1] + bin[3 * a + 1]) * count[2] + bin[3 * a + 2]] = k;
            }
        } else {
            dense = null;
        }
    }

    static long key(int b0, int b1, int b2) {
        return ((long) b0 << (2 * BITS)) | ((long) b1 << BITS) | b2;
    }

    boolean sparse() {
        return dense == null;
    }

    /** The index of the occupied bin with these coordinates, or -1 when it is empty. */
    int find(int b0, int b1, int b2) {
        if (dense != null) {
            return dense[(b0 * count[1] + b1) * count[2] + b2];
        }
        int k = Arrays.binarySearch(keys, key(b0, b1, b2));
        return k < 0 ? -1 : k;
    }

    /**
     * The binning frame as rows: the periodic lattice vectors, and orthonormal completions
     * along non-periodic axes so the frame is never singular because of them.
     */
    private static double[] frame(double[] cell, boolean[] pbc) {
        double[] m = Mat3.identity();
        int[] p = new int[3];
        int[] q = new int[3];
        int np = 0;
        int nq = 0;
        for (int d = 0; d < 3; d++) {
            if (pbc[d]) {
                double len = Math.sqrt(dot(cell, d, cell, d));
                if (!(len > 0) || !Double.isFinite(len)) {
                    throw new InputException("lattice vector " + "abc".charAt(d)
                            + " of the periodic cell has length " + len);
                }
                System.arraycopy(cell, 3 * d, m, 3 * d, 3);
                p[np++] = d;
            } else {
                q[nq++] = d;
            }
        }
        if (np == 2) {
            setUnit(m, q[0], cross(row(m, p[0]), row(m, p[1])));
        } else if (np == 1) {
            double[] u = unit(row(m, p[0]));
            // The coordinate axis least aligned with u gives a well-conditioned perpendicular.
            int e = 0;
            for (int d = 1; d < 3; d++) {
                if (Math.abs(u[d]) < Math.abs(u[e])) {
                    e = d;
                }
            }
            double[] v = new double[3];
            v[e] = 1;
            double along = v[e] * u[e];
            for (int d = 0; d < 3; d++) {
                v[d] -= along * u[d];
            }
            v = unit(v);
            setUnit(m, q[0], v);
            setUnit(m, q[1], cross(u, v));
        }
        if (np >= 2) {
            double scale = Math.sqrt(dot(m, 0, m, 0) * dot(m, 1, m, 1) * dot(m, 2, m, 2));
            if (!(Math.abs(Mat3.det(m)) > 1e-10 * scale)) {
                throw new InputException("the periodic lattice vectors of the cell are linearly dependent");
            }
        }
        return m;
    }

    private static double dot(double[] a, int ra, double[] b, int rb) {
        return a[3 * ra] * b[3 * rb] + a[3 * ra + 1] * b[3 * rb + 1] + a[3 * ra + 2] * b[3 * rb + 2];
    }

    private static double[] row(double[] m, int r) {
        return Arrays.copyOfRange(m, 3 * r, 3 * r + 3);
    }

    private static double[] cross(double[] a, double[] b) {
        return new double[] {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }

    private static double[] unit(double[] v) {
        double len = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        if (!(len > 0)) {
            throw new InputException("the periodic lattice vectors of the cell are linearly dependent");
        }
        return new double[] {v[0] / len, v[1] / len, v[2] / len};
    }

    private static void setUnit(double[] m, int r, double[] v) {
        double[] u = unit(v);
        System.arraycopy(u, 0, m, 3 * r, 3);
    }
}
