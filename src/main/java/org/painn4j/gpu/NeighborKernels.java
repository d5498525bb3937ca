package org.painn4j.gpu;

import jcuda.driver.CUstream;

/**
 * The neighbor list on the device (neighbors.cu): cell list, periodic images, any triclinic
 * cell, in the CPU list's CSR order. No host round trip: a list that outgrows its capacity is
 * reported in status[0] and left empty, and the caller grows the buffers and runs again.
 */
final class NeighborKernels {
    private static final int THREADS = 128;
    private final Kernel grid;
    private final Kernel bin;
    private final Kernel scan;
    private final Kernel place;
    private final Kernel count;
    private final Kernel scanRows;
    private final Kernel fill;
    private final Kernel reverse;
    private final Kernel small;
    private final Kernel pairsCount;
    private final Kernel pairsFill;
    private final Kernel verletCount;
    private final Kernel verletFill;
    private final Kernel batchCount;
    private final Kernel batchFill;
    private final Kernel batchEdges;

    /** The single-block search takes structures of at most this many atoms... */
    static final int SMALL_ATOMS = 128;
    /** ...and at most this many candidate pairs (atoms × atoms × images in reach). */
    static final long SMALL_CANDIDATES = 128L * 128;
    /** Threads of the binned search's per-atom kernels: four warps, one atom each. */
    private static final int WARP_THREADS = 128;

    NeighborKernels(CudaContext cuda) {
        grid = new Kernel(cuda, "neighbors", "painn_neighbors_grid");
        bin = new Kernel(cuda, "neighbors", "painn_neighbors_bin");
        scan = new Kernel(cuda, "neighbors", "painn_scan");
        place = new Kernel(cuda, "neighbors", "painn_neighbors_place");
        count = new Kernel(cuda, "neighbors", "painn_neighbors_count");
        scanRows = new Kernel(cuda, "neighbors", "painn_scan_rows");
        fill = new Kernel(cuda, "neighbors", "painn_neighbors_fill");
        reverse = new Kernel(cuda, "neighbors", "painn_neighbors_reverse");
        small = new Kernel(cuda, "neighbors", "painn_neighbors_small");
        pairsCount = new Kernel(cuda, "neighbors", "painn_neighbors_pairs_count");
        pairsFill = new Kernel(cuda, "neighbors", "painn_neighbors_pairs_fill");
        verletCount = new Kernel(cuda, "neighbors", "painn_verlet_count");
        verletFill = new Kernel(cuda, "neighbors", "painn_verlet_fill");
        batchCount = new Kernel(cuda, "neighbors", "painn_neighbors_batch_count");
        batchFill = new Kernel(cuda, "neighbors", "painn_neighbors_batch_fill");
        batchEdges = new Kernel(cuda, "neighbors", "painn_neighbors_batch_edges");
    }

    /**
     * Past the single-block search, structures of up to this many candidate pairs (about 1,450
     * atoms of a molecule) are searched by all pairs: measured against the binned search, 11–21
     * µs faster at 1,024 atoms, even at about 1,450 and 2,048, 10–60 µs slower at 2,896 and 4,096
     * (docs/performance.md, entry 55).
     */
    static final long PAIRS_CANDIDATES = 1L << 21;
    /** Warps per atom in the pairs search's counting pass (PAIRS_WARPS in neighbors.cu). */
    private static final int PAIRS_WARPS = 4;

    /**
     * How a list is searched: in one block ({@link #SMALL}), by all pairs over the whole grid
     * ({@link #PAIRS}: two kernels on the chain), or through bins ({@link #BINNED}: seven), the
     * reverse edges apart for each but the first. All give the same list.
     */
    enum Search {
        SMALL, PAIRS, BINNED
    }

    /** Whether the single-block search suits n atoms in this frame. */
    static boolean small(int n, SearchFrame frame, double rc) {
        return n <= SMALL_ATOMS && candidates(n, frame, rc) <= SMALL_CANDIDATES;
    }

    /** The search for n atoms in this frame; pairs false: the binned one past the single block. */
    static Search search(int n, SearchFrame frame, double rc, boolean pairs) {
        if (small(n, frame, rc)) {
            return Search.SMALL;
        }
        return pairs && candidates(n, frame, rc) <= PAIRS_CANDIDATES ? Search.PAIRS : Search.BINNED;
    }

    /** Atoms × atoms × images in reach: the pairs the searches without bins try. */
    private static long candidates(int n, SearchFrame frame, double rc) {
        long images = 1;
        for (int a = 0; a < 3; a++) {
            if (frame.pbc()[a] == 1) {
                images *= 2L * ((long) Math.floor(rc / frame.planes()[a]) + 1) + 1;
            }
        }
        return (long) n * n * images;
    }

    /**
     * The exact list for rc at pos, filtered out of a Verlet list built for a longer cutoff: the
     * same rows in the same order, without the pairs now beyond rc, as a fresh build would give
     * (its reverse edges: {@link #reverse}).
     * Coincident atoms raise exact.errorPair (which the caller clears).
     */
    void filter(CUstream s, NeighborBuffers verlet, NeighborBuffers exact, DeviceBuffer pos, int n, double rc,
                double minDistance) {
        filter(s, verlet, exact, null, pos, n, rc, minDistance);
    }

    /**
     * The same for a batch (g not null): each atom takes its structure's cell, and coincident
     * atoms go to their structure's g.errorPairs entry.
     */
    void filter(CUstream s, NeighborBuffers verlet, NeighborBuffers exact, BatchBuffers g, DeviceBuffer pos, int n,
                double rc, double minDistance) {
        int warpBlocks = (n * 32 + WARP_THREADS - 1) / WARP_THREADS;
        DeviceBuffer cells = g == null ? exact.lattice : g.lattices;
        DeviceBuffer owner = g == null ? null : g.atomStructure;
        verletCount.launch(s, warpBlocks, 1, WARP_THREADS, n, pos, cells, owner, g == null ? null : g.atomStart, rc,
                minDistance, verlet.rowStart, verlet.neighbor, verlet.image, exact.rowCount,
                g == null ? exact.errorPair : g.errorPairs);
        scanRows.launch(s, 1, 1, 1024, n, exact.rowCount, exact.rowStart, exact.edgeCapacity, exact.status, null);
        verletFill.launch(s, warpBlocks, 1, WARP_THREADS, n, pos, cells, owner, rc, exact.edgeCapacity, exact.status,
                verlet.rowStart, verlet.neighbor, verlet.image, exact.rowStart, exact.center, exact.neighbor, exact.image);
    }

    /**
     * One list for a batch of structures laid out in g. Small ones (each {@link #small}): one
     * block per structure counts its rows, then one per structure places them after the edges of
     * the structures before it; larger ones (g.binned()): the binned search, structure by
     * structure, leaving the reverse edges to {@link #reverse}. Every structure's coincident
     * atoms go to its own g.errorPairs entry (local atom indices), cleared first when clearError.
     */
    void buildBatch(CUstream s, NeighborBuffers b, BatchBuffers g, DeviceBuffer pos, double rc, double minDistance,
                    boolean clearError) {
        if (clearError) {
            g.errorPairs.fill32(-1, s);
        }
        if (g.binned()) {
            buildBinnedBatch(s, b, g, pos, rc, minDistance, null);
            return;
        }
        batchCount.launch(s, g.structures(), 1, 1024, g.atomStart, pos, g.lattices, g.inverses, g.planes, g.pbcs, rc,
                minDistance, b.rowCount, g.edgeCounts, g.errorPairs);
        batchFill.launch(s, g.structures(), 1, 1024, g.structures(), g.atomStart, pos, g.lattices, g.inverses,
                g.planes, g.pbcs, rc, b.edgeCapacity, b.rowCount, g.edgeCounts, b.rowStart, b.status, b.center,
                b.neighbor, b.image, b.reverse);
    }

    /**
     * A batch of structures too large for the single-block search: each structure's binned
     * search (grid, bins, counts, then its rows) runs on its own atoms and bins, and the rows of
     * all of them are scanned once between counting and filling, so that each structure's edges
     * follow those of the structures before it. Every structure gets the rows it gets alone.
     * With a rebuild flag (a Verlet list of replicas in molecular dynamics) every kernel does
     * nothing while the flag is 0, and the structures' edge counts are left alone.
     */
    void buildBinnedBatch(CUstream s, NeighborBuffers b, BatchBuffers g, DeviceBuffer pos, double rc,
                          double minDistance, DeviceBuffer rebuild) {
        int n = g.atoms();
        int[] start = g.starts();
        for (int k = 0; k < g.structures(); k++) {
            Slices q = new Slices(b, g, pos, k, start[k], start[k + 1] - start[k]);
            int blocks = (q.n + THREADS - 1) / THREADS;
            int warpBlocks = (q.n * 32 + WARP_THREADS - 1) / WARP_THREADS;
            grid.launch(s, 1, 1, 512, q.n, q.pos, q.inverse, q.planes, q.pbc, rc, q.bins, q.grid, q.binCount, q.cursor,
                    q.errorPair, 0, rebuild);
            bin.launch(s, blocks, 1, THREADS, q.n, q.pos, q.inverse, q.pbc, q.grid, q.atomBin, q.wrap, q.binCount, rebuild);
            scan.launch(s, 1, 1, 1024, q.bins, q.binCount, q.binStart, rebuild);
            place.launch(s, blocks, 1, THREADS, q.n, q.atomBin, q.binStart, q.cursor, q.binAtoms, rebuild);
            count.launch(s, warpBlocks, 1, WARP_THREADS, q.n, q.pos, q.lattice, q.pbc, q.grid, rc, q.atomBin, q.wrap,
                    q.binStart, q.binAtoms, minDistance, q.rowCount, q.errorPair, q.rowKeys, rebuild);
        }
        scanRows.launch(s, 1, 1, 1024, n, b.rowCount, b.rowStart, b.edgeCapacity, b.status, rebuild);
        for (int k = 0; k < g.structures(); k++) {
            Slices q = new Slices(b, g, pos, k, start[k], start[k + 1] - start[k]);
            int warpBlocks = (q.n * 32 + WARP_THREADS - 1) / WARP_THREADS;
            fill.launch(s, warpBlocks, 1, WARP_THREADS, q.n, q.pos, q.lattice, q.pbc, q.grid, rc, q.atomBin, q.wrap,
                    q.binStart, q.binAtoms, b.edgeCapacity, b.status, q.rowStart, q.rowKeys, b.center, b.neighbor,
                    b.image, start[k], rebuild);
        }
        if (rebuild == null) {
            batchEdges.launch(s, (g.structures() + THREADS - 1) / THREADS, 1, THREADS, g.structures(), g.atomStart,
                    b.rowStart, g.edgeCounts);
        }
    }

    /** Structure k of a batch as the binned kernels see one structure: its own slices of every array. */
    private static final class Slices {
        final int n;
        final int bins;
        final DeviceBuffer pos, inverse, planes, pbc, lattice, grid, atomBin, wrap, binCount, binStart, cursor,
                binAtoms, rowCount, rowKeys, rowStart, errorPair;

        Slices(NeighborBuffers b, BatchBuffers g, DeviceBuffer positions, int k, int first, int n) {
            this.n = n;
            this.bins = g.binCapacity(k);
            long base = g.binBase(k);
            pos = positions.slice("positions", 24L * first, 24L * n);
            inverse = g.inverses.slice("search frame", 72L * k, 72);
            planes = g.planes.slice("plane spacings", 24L * k, 24);
            pbc = g.pbcs.slice("pbc", 12L * k, 12);
            lattice = g.lattices.slice("lattice", 72L * k, 72);
            grid = g.grids.slice("bin grid", (long) BatchBuffers.GRID_BYTES * k, BatchBuffers.GRID_BYTES);
            atomBin = b.atomBin.slice("atom bins", 4L * first, 4L * n);
            wrap = b.wrap.slice("wrap counts", 12L * first, 12L * n);
            binCount = g.binCount.slice("bin counts", 4 * base, 4L * bins);
            binStart = g.binStart.slice("bin starts", 4 * (base + k), 4L * (bins + 1));
            cursor = g.cursor.slice("bin cursors", 4 * base, 4L * bins);
            binAtoms = b.binAtoms.slice("binned atoms", 4L * first, 4L * n);
            rowCount = b.rowCount.slice("row counts", 4L * first, 4L * n);
            rowKeys = b.rowKeys.slice("kept rows", 8L * NeighborBuffers.KEPT_KEYS * first, 8L * NeighborBuffers.KEPT_KEYS * n);
            rowStart = b.rowStart.slice("row starts", 4L * first, 4L * (n + 1));
            errorPair = g.errorPairs.slice("coincident atoms", 8L * k, 8);
        }
    }

    /**
     * Builds the list of the n atoms at pos (float64 [N][3]) for the cutoff rc (minDistance:
     * coincident atoms) by the given search; all but the single-block one leave the reverse
     * edges to {@link #reverse}. With a rebuild
     * flag (a device int; null: always) every kernel does nothing while the flag is 0. clearError
     * forgets coincident atoms found before; molecular dynamics clears once per block of steps.
     */
    void build(CUstream s, NeighborBuffers b, DeviceBuffer pos, int n, double rc, double minDistance,
               Search search, DeviceBuffer rebuild, boolean clearError) {
        // a kernel of the search clears the coincident pair where asked: a memset node fewer
        int clear = clearError ? 1 : 0;
        if (search == Search.PAIRS) {
            int warpBlocks = (n * 32 + WARP_THREADS - 1) / WARP_THREADS;
            // a block of PAIRS_WARPS warps per atom; the filling pass scans the rows itself
            pairsCount.launch(s, n, 1, 32 * PAIRS_WARPS, n, pos, b.lattice, b.inverse, b.planes, b.pbc, rc,
                    minDistance, b.rowCount, b.wrap, b.rowError, b.rowKeys, rebuild);
            pairsFill.launch(s, warpBlocks, 1, WARP_THREADS, n, pos, b.lattice, b.inverse, b.planes, b.pbc, rc,
                    b.edgeCapacity, b.rowCount, b.rowStart, b.status, b.rowError, b.errorPair, clear, b.rowKeys,
                    b.wrap, b.center, b.neighbor, b.image, rebuild);
            return;
        }
        if (search == Search.SMALL) {
            small.launch(s, 1, 1, 1024, n, pos, b.lattice, b.inverse, b.planes, b.pbc, rc, minDistance,
                    b.edgeCapacity, b.rowStart, b.status, b.errorPair, b.center, b.neighbor, b.image, b.reverse, clear,
                    rebuild);
            return;
        }
        int blocks = (n + THREADS - 1) / THREADS;
        int warpBlocks = (n * 32 + WARP_THREADS - 1) / WARP_THREADS;
        grid.launch(s, 1, 1, 512, n, pos, b.inverse, b.planes, b.pbc, rc, b.binCapacity, b.grid, b.binCount, b.cursor,
                b.errorPair, clear, rebuild);
        bin.launch(s, blocks, 1, THREADS, n, pos, b.inverse, b.pbc, b.grid, b.atomBin, b.wrap, b.binCount, rebuild);
        // the grid's bin count lives on the device; scanning the whole capacity is exact and costs little
        scan.launch(s, 1, 1, 1024, b.binCapacity, b.binCount, b.binStart, rebuild);
        place.launch(s, blocks, 1, THREADS, n, b.atomBin, b.binStart, b.cursor, b.binAtoms, rebuild);
        count.launch(s, warpBlocks, 1, WARP_THREADS, n, pos, b.lattice, b.pbc, b.grid, rc, b.atomBin, b.wrap,
                b.binStart, b.binAtoms, minDistance, b.rowCount, b.errorPair, b.rowKeys, rebuild);
        scanRows.launch(s, 1, 1, 1024, n, b.rowCount, b.rowStart, b.edgeCapacity, b.status, rebuild);
        fill.launch(s, warpBlocks, 1, WARP_THREADS, n, pos, b.lattice, b.pbc, b.grid, rc, b.atomBin, b.wrap,
                b.binStart, b.binAtoms, b.edgeCapacity, b.status, b.rowStart, b.rowKeys, b.center, b.neighbor, b.image,
                0, rebuild);
    }

    /**
     * Each edge's reverse (j → i through the opposite image), which only the forces read: a list
     * from build (binned: the single-block search indexes its own), filter or a binned batch,
     * indexed on a stream of its own choosing (a branch beside the model, GpuCalculator).
     */
    void reverse(CUstream s, NeighborBuffers b, int n, DeviceBuffer rebuild) {
        reverse.launch(s, (b.edgeCapacity + THREADS - 1) / THREADS, 1, THREADS, n, b.edgeCapacity, b.rowStart,
                b.center, b.neighbor, b.image, b.reverse, rebuild);
    }
}
