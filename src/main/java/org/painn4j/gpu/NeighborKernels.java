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
    private final Kernel total;
    private final Kernel clamp;
    private final Kernel fill;
    private final Kernel reverse;
    private final Kernel small;
    private final Kernel verletCount;
    private final Kernel verletFill;
    private final Kernel batchCount;
    private final Kernel batchFill;

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
        total = new Kernel(cuda, "neighbors", "painn_neighbors_total");
        clamp = new Kernel(cuda, "neighbors", "painn_neighbors_clamp");
        fill = new Kernel(cuda, "neighbors", "painn_neighbors_fill");
        reverse = new Kernel(cuda, "neighbors", "painn_neighbors_reverse");
        small = new Kernel(cuda, "neighbors", "painn_neighbors_small");
        verletCount = new Kernel(cuda, "neighbors", "painn_verlet_count");
        verletFill = new Kernel(cuda, "neighbors", "painn_verlet_fill");
        batchCount = new Kernel(cuda, "neighbors", "painn_neighbors_batch_count");
        batchFill = new Kernel(cuda, "neighbors", "painn_neighbors_batch_fill");
    }

    /** Whether the single-block search suits n atoms in this frame. */
    static boolean small(int n, SearchFrame frame, double rc) {
        long images = 1;
        for (int a = 0; a < 3; a++) {
            if (frame.pbc()[a] == 1) {
                images *= 2L * ((long) Math.floor(rc / frame.planes()[a]) + 1) + 1;
            }
        }
        return n <= SMALL_ATOMS && (long) n * n * images <= SMALL_CANDIDATES;
    }

    /**
     * The exact list for rc at pos, filtered out of a Verlet list built for a longer cutoff: the
     * same rows in the same order, without the pairs now beyond rc, as a fresh build would give.
     * Coincident atoms raise exact.errorPair (which the caller clears).
     */
    void filter(CUstream s, NeighborBuffers verlet, NeighborBuffers exact, DeviceBuffer pos, int n, double rc,
                double minDistance) {
        int warpBlocks = (n * 32 + WARP_THREADS - 1) / WARP_THREADS;
        verletCount.launch(s, warpBlocks, 1, WARP_THREADS, n, pos, exact.lattice, rc, minDistance, verlet.rowStart,
                verlet.neighbor, verlet.image, exact.rowCount, exact.errorPair);
        scan.launch(s, 1, 1, 1024, n, exact.rowCount, exact.rowStart, null);
        total.launch(s, 1, 1, 1, n, exact.rowStart, exact.status, null);
        clamp.launch(s, (n + 1 + THREADS - 1) / THREADS, 1, THREADS, n, exact.edgeCapacity, exact.status,
                exact.rowStart, null);
        verletFill.launch(s, warpBlocks, 1, WARP_THREADS, n, pos, exact.lattice, rc, exact.edgeCapacity, exact.status,
                verlet.rowStart, verlet.neighbor, verlet.image, exact.rowStart, exact.center, exact.neighbor, exact.image);
        reverse.launch(s, (exact.edgeCapacity + THREADS - 1) / THREADS, 1, THREADS, n, exact.edgeCapacity,
                exact.rowStart, exact.center, exact.neighbor, exact.image, exact.reverse, null);
    }

    /**
     * One list for a batch of small structures (each one {@link #small}), laid out in g: one
     * block per structure counts its rows, then one per structure places them after the edges of
     * the structures before it. Every structure's coincident atoms go to its own g.errorPairs
     * entry (local atom indices), cleared first when clearError.
     */
    void buildBatch(CUstream s, NeighborBuffers b, BatchBuffers g, DeviceBuffer pos, double rc, double minDistance,
                    boolean clearError) {
        if (clearError) {
            g.errorPairs.fill32(-1, s);
        }
        batchCount.launch(s, g.structures(), 1, 1024, g.atomStart, pos, g.lattices, g.inverses, g.planes, g.pbcs, rc,
                minDistance, b.rowCount, g.edgeCounts, g.errorPairs);
        batchFill.launch(s, g.structures(), 1, 1024, g.structures(), g.atomStart, pos, g.lattices, g.inverses,
                g.planes, g.pbcs, rc, b.edgeCapacity, b.rowCount, g.edgeCounts, b.rowStart, b.status, b.center,
                b.neighbor, b.image, b.reverse);
    }

    /**
     * Builds the list of the n atoms at pos (float64 [N][3]) for the cutoff rc (minDistance:
     * coincident atoms), in one block when smallPath, else by the binned search. With a rebuild
     * flag (a device int; null: always) every kernel does nothing while the flag is 0. clearError
     * forgets coincident atoms found before; molecular dynamics clears once per block of steps.
     */
    void build(CUstream s, NeighborBuffers b, DeviceBuffer pos, int n, double rc, double minDistance,
               boolean smallPath, DeviceBuffer rebuild, boolean clearError) {
        if (clearError) {
            b.errorPair.fill32(-1, s);
        }
        if (smallPath) {
            small.launch(s, 1, 1, 1024, n, pos, b.lattice, b.inverse, b.planes, b.pbc, rc, minDistance,
                    b.edgeCapacity, b.rowStart, b.status, b.errorPair, b.center, b.neighbor, b.image, b.reverse, rebuild);
            return;
        }
        int blocks = (n + THREADS - 1) / THREADS;
        int warpBlocks = (n * 32 + WARP_THREADS - 1) / WARP_THREADS;
        b.binCount.fill32(0, s);
        b.cursor.fill32(0, s);
        grid.launch(s, 1, 1, 512, n, pos, b.inverse, b.planes, b.pbc, rc, b.binCapacity, b.grid, rebuild);
        bin.launch(s, blocks, 1, THREADS, n, pos, b.inverse, b.pbc, b.grid, b.atomBin, b.wrap, b.binCount, rebuild);
        // the grid's bin count lives on the device; scanning the whole capacity is exact and costs little
        scan.launch(s, 1, 1, 1024, b.binCapacity, b.binCount, b.binStart, rebuild);
        place.launch(s, blocks, 1, THREADS, n, b.atomBin, b.binStart, b.cursor, b.binAtoms, rebuild);
        count.launch(s, warpBlocks, 1, WARP_THREADS, n, pos, b.lattice, b.pbc, b.grid, rc, b.atomBin, b.wrap,
                b.binStart, b.binAtoms, minDistance, b.rowCount, b.errorPair, rebuild);
        scan.launch(s, 1, 1, 1024, n, b.rowCount, b.rowStart, rebuild);
        total.launch(s, 1, 1, 1, n, b.rowStart, b.status, rebuild);
        clamp.launch(s, (n + 1 + THREADS - 1) / THREADS, 1, THREADS, n, b.edgeCapacity, b.status, b.rowStart, rebuild);
        fill.launch(s, warpBlocks, 1, WARP_THREADS, n, pos, b.lattice, b.pbc, b.grid, rc, b.atomBin, b.wrap,
                b.binStart, b.binAtoms, b.edgeCapacity, b.status, b.rowStart, b.center, b.neighbor, b.image, rebuild);
        reverse.launch(s, (b.edgeCapacity + THREADS - 1) / THREADS, 1, THREADS, n, b.edgeCapacity, b.rowStart,
                b.center, b.neighbor, b.image, b.reverse, rebuild);
    }
}
