package org.painn4j.structure;

import java.util.Locale;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

import org.painn4j.InputException;

/**
 * The full neighbor list of a structure within a cutoff (SPEC §1 "Edges"), in CSR form.
 *
 * <p>An edge (i, j, n) is a center atom i, a neighbor atom j and an integer lattice image
 * n = (n_a, n_b, n_c), with
 * <pre>
 *   shift  = n_a·a + n_b·b + n_c·c          (evaluated in this order, a, b, c the cell rows)
 *   vector = (pos[j] − pos[i]) + shift      (the positions as given, not wrapped)
 *   d      = sqrt(x² + y² + z²) &lt; cutoff   (strictly)
 * </pre>
 * Every such edge is listed except (i, i, 0): both (i, j, n) and (j, i, −n), every periodic
 * image of j that is in range (several when the cell is thinner than 2·cutoff), and an atom's
 * own images when the cell is thinner than the cutoff, as ASE's
 * {@code primitive_neighbor_list(..., self_interaction=False)} does. Along non-periodic axes,
 * and without a cell, the image is 0; the cell rows of non-periodic axes are never used.
 * Positions need not lie in the cell: the image is relative to the given positions, so an
 * atom stored one cell to the right is reached with an image one smaller.
 *
 * <p>Order (which GPU code reproduces): edges sorted by center i ascending, then neighbor j
 * ascending, then image lexicographically ascending (n_a, then n_b, then n_c). Edges of center
 * i are {@code rowStart[i] .. rowStart[i+1]-1}.
 *
 * <p>Atoms closer than {@value #MIN_DISTANCE} Å to another atom or to an image of themselves
 * are refused with an {@link InputException}; atoms are counted from 0 in its message.
 *
 * <p>Cost is O(N + E): atoms are binned on a grid of cutoff-thick bins (see {@link CellBins}).
 * Rows are found in parallel, in blocks of rows ({@link Blocks}: the common fork-join pool unless
 * the caller gives its own threads); the result is the same for any number of threads.
 */
public final class NeighborList {
    /** Closer than this (Å), two atoms, or an atom and its image, are taken for one. */
    public static final double MIN_DISTANCE = 1e-4;
    /** Rows per parallel task: enough to amortize scheduling, few enough to balance. */
    private static final int BLOCK = 1024;

    /** N. */
    public final int atoms;
    public final double cutoff;
    /** [N+1] edges of center i are rowStart[i] .. rowStart[i+1]-1. */
    public final int[] rowStart;
    /** [E] i of each edge. */
    public final int[] center;
    /** [E] j of each edge. */
    public final int[] neighbor;
    /** [3E] integer lattice image (n_a, n_b, n_c) of each edge; 0 along non-periodic axes. */
    public final int[] image;
    /** [3E] r_ij = (pos[j] − pos[i]) + shift, Å. */
    public final double[] vector;
    /** [E] |r_ij|, Å. */
    public final double[] distance;
    /** [E] the index of the edge (j, i, −n); reverse[reverse[e]] == e. */
    public final int[] reverse;

    /** Runs block(b) for every b in [0, count), on whatever threads; each block writes its own rows. */
    @FunctionalInterface
    public interface Blocks {
        void forEach(int count, IntConsumer block);

        /** On the common fork-join pool. */
        Blocks COMMON_POOL = (count, block) -> IntStream.range(0, count).parallel().forEach(block);
    }

    private NeighborList(int atoms, double cutoff, int[] rowStart, int[] center, int[] neighbor, int[] image,
            double[] vector, double[] distance, Blocks blocks) {
        this.atoms = atoms;
        this.cutoff = cutoff;
        this.rowStart = rowStart;
        this.center = center;
        this.neighbor = neighbor;
        this.image = image;
        this.vector = vector;
        this.distance = distance;
        this.reverse = reverseIndex(atoms, rowStart, center, neighbor, image, blocks);
    }

    public int edges() {
        return neighbor.length;
    }

    /** i of an edge. */
    public int center(int edge) {
        return center[edge];
    }

    public static NeighborList build(Structure s, double cutoff) {
        return build(s, cutoff, Blocks.COMMON_POOL);
    }

    /** As {@link #build(Structure, double)}, the blocks of rows run by {@code parallel}. */
    public static NeighborList build(Structure s, double cutoff, Blocks parallel) {
        if (!(cutoff > 0) || !Double.isFinite(cutoff)) {
            throw new IllegalArgumentException("cutoff must be positive and finite, got " + cutoff);
        }
        int n = s.size();
        double[] pos = s.positions();
        for (double x : pos) {
            if (!Double.isFinite(x)) {
                throw new IllegalArgumentException("positions must be finite");
            }
        }
        boolean[] pbc = s.pbc();
        // Rows of non-periodic axes are zeroed: their image is 0 and they may hold anything.
        double[] lattice = new double[9];
        if (s.hasCell()) {
            double[] cell = s.cell();
            for (int d = 0; d < 3; d++) {
                if (pbc[d]) {
                    System.arraycopy(cell, 3 * d, lattice, 3 * d, 3);
                }
            }
        }
        CellBins bins = new CellBins(pos, lattice, pbc, cutoff);

        // Rows are independent, so blocks of them run in parallel, each writing its own range;
        // the result does not depend on the number of threads. A first pass only counts, so
        // the edges are written once, straight into arrays of the right size: allocating and
        // copying hundreds of megabytes costs more than finding the neighbors twice.
        int blocks = (n + BLOCK - 1) / BLOCK;
        int[] rowStart = new int[n + 1];
        parallel.forEach(blocks, b -> {
            EdgeBuffer row = new EdgeBuffer(64);
            for (int i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) {
                row.clear();
                collect(i, pos, lattice, bins, cutoff, row);
                rowStart[i + 1] = row.size;
            }
        });
        for (int i = 0; i < n; i++) {
            rowStart[i + 1] += rowStart[i];
        }
        int edges = rowStart[n];
        int[] center = new int[edges];
        int[] neighbor = new int[edges];
        int[] image = new int[3 * edges];
        double[] vector = new double[3 * edges];
        double[] distance = new double[edges];
        parallel.forEach(blocks, b -> {
            EdgeBuffer row = new EdgeBuffer(64);
            for (int i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) {
                row.clear();
                collect(i, pos, lattice, bins, cutoff, row);
                int at = rowStart[i];
                if (row.size != rowStart[i + 1] - at) {
                    throw new IllegalStateException("row " + i + " changed between passes");
                }
                for (int e : row.sortedOrder()) {
                    center[at] = i;
                    neighbor[at] = row.neighbor[e];
                    System.arraycopy(row.image, 3 * e, image, 3 * at, 3);
                    System.arraycopy(row.vector, 3 * e, vector, 3 * at, 3);
                    distance[at] = row.distance[e];
                    at++;
                }
            }
        });
        for (int e = 0; e < edges; e++) {
            if (distance[e] < MIN_DISTANCE) {
                throw samePosition(center[e], neighbor[e], image, e, distance[e]);
            }
        }
        return new NeighborList(n, cutoff, rowStart, center, neighbor, image, vector, distance, parallel);
    }

    /** Adds every neighbor of atom i to row, in no particular order. */
    private static void collect(int i, double[] pos, double[] lattice, CellBins bins, double cutoff,
            EdgeBuffer row) {
        int[] b = {bins.bin[3 * i], bins.bin[3 * i + 1], bins.bin[3 * i + 2]};
        int[] t = new int[3];
        int[] shift = new int[3];
        double xi = pos[3 * i];
        double yi = pos[3 * i + 1];
        double zi = pos[3 * i + 2];
        double cut2 = cutoff * cutoff * (1 + 1e-9);
        for (int o0 = -bins.reach[0]; o0 <= bins.reach[0]; o0++) {
            if (!target(bins, 0, b[0] + o0, t, shift)) {
                continue;
            }
            for (int o1 = -bins.reach[1]; o1 <= bins.reach[1]; o1++) {
                if (!target(bins, 1, b[1] + o1, t, shift)) {
                    continue;
                }
                for (int o2 = -bins.reach[2]; o2 <= bins.reach[2]; o2++) {
                    if (!target(bins, 2, b[2] + o2, t, shift)) {
                        continue;
                    }
                    int k = bins.find(t[0], t[1], t[2]);
                    if (k < 0) {
                        continue;
                    }
                    // The bins hold wrapped atoms; convert the wrapped image to given positions.
                    int m0 = shift[0] + bins.wrap[3 * i];
                    int m1 = shift[1] + bins.wrap[3 * i + 1];
                    int m2 = shift[2] + bins.wrap[3 * i + 2];
                    for (int p = bins.start[k]; p < bins.start[k + 1]; p++) {
                        int j = bins.atoms[p];
                        int n0 = m0 - bins.binnedWrap[3 * p];
                        int n1 = m1 - bins.binnedWrap[3 * p + 1];
                        int n2 = m2 - bins.binnedWrap[3 * p + 2];
                        if (j == i && n0 == 0 && n1 == 0 && n2 == 0) {
                            continue;
                        }
                        double x = (bins.binnedPos[3 * p] - xi)
                                + (n0 * lattice[0] + n1 * lattice[3] + n2 * lattice[6]);
                        double y = (bins.binnedPos[3 * p + 1] - yi)
                                + (n0 * lattice[1] + n1 * lattice[4] + n2 * lattice[7]);
                        double z = (bins.binnedPos[3 * p + 2] - zi)
                                + (n0 * lattice[2] + n1 * lattice[5] + n2 * lattice[8]);
                        double d2 = x * x + y * y + z * z;
                        if (d2 > cut2) {
                            continue;
                        }
                        double d = Math.sqrt(d2);
                        if (d < cutoff) {
                            row.add(j, n0, n1, n2, x, y, z, d);
                        }
                    }
                }
            }
        }
    }

    /**
     * Bin coordinate c along axis d, wrapped into the grid on a periodic axis (the wrap count
     * going to shift[d]); false when it falls off the grid of a non-periodic axis.
     */
    private static boolean target(CellBins bins, int d, int c, int[] t, int[] shift) {
        int count = bins.count[d];
        if (bins.periodic[d]) {
            shift[d] = Math.floorDiv(c, count);
            t[d] = Math.floorMod(c, count);
            return true;
        }
        shift[d] = 0;
        t[d] = c;
        return c >= 0 && c < count;
    }

    private static InputException samePosition(int i, int j, int[] image, int e, double d) {
        String dist = d == 0 ? "0.0" : String.format(Locale.ROOT, "%.2g", d);
        if (i == j) {
            return InputException.atAtoms("atom " + i + " is at the same position as its periodic image ("
                    + image[3 * e] + ", " + image[3 * e + 1] + ", " + image[3 * e + 2]
                    + ") (distance " + dist + " Å)", i);
        }
        return InputException.atAtoms("atoms " + Math.min(i, j) + " and " + Math.max(i, j)
                + " are at the same position (distance " + dist + " Å)", Math.min(i, j), Math.max(i, j));
    }

    /**
     * The edges (i, j, ·) of row i form a run sorted by image; their reverses (j, i, −·) form a
     * run of the same length in row j, found by one binary search, in the opposite order.
     */
    private static int[] reverseIndex(int atoms, int[] rowStart, int[] center, int[] neighbor, int[] image,
                                      Blocks parallel) {
        int[] rev = new int[neighbor.length];
        int blocks = (atoms + BLOCK - 1) / BLOCK;
        parallel.forEach(blocks, b -> {
            for (int i = b * BLOCK; i < Math.min(atoms, (b + 1) * BLOCK); i++) {
                int e = rowStart[i];
                while (e < rowStart[i + 1]) {
                    int j = neighbor[e];
                    int end = e + 1;
                    while (end < rowStart[i + 1] && neighbor[end] == j) {
                        end++;
                    }
                    int first = firstWithNeighbor(rowStart, neighbor, j, i);
                    for (int k = 0; k < end - e; k++) {
                        int r = first + (end - e) - 1 - k;
                        if (r >= rowStart[j + 1] || !isReverse(center, neighbor, image, r, e + k)) {
                            throw new IllegalStateException("edge " + (e + k) + " has no reverse edge");
                        }
                        rev[e + k] = r;
                    }
                    e = end;
                }
            }
        });
        return rev;
    }

    /** The first edge of row j whose neighbor is at least i. */
    private static int firstWithNeighbor(int[] rowStart, int[] neighbor, int j, int i) {
        int lo = rowStart[j];
        int hi = rowStart[j + 1];
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (neighbor[mid] < i) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Whether edge f is (j, i, −n) for edge e = (i, j, n). */
    private static boolean isReverse(int[] center, int[] neighbor, int[] image, int f, int e) {
        return center[f] == neighbor[e] && neighbor[f] == center[e] && image[3 * f] == -image[3 * e]
                && image[3 * f + 1] == -image[3 * e + 1] && image[3 * f + 2] == -image[3 * e + 2];
    }
}
