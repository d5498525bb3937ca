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
     * Builds the list of the n atoms in b.pos for the cutoff rc (minDistance: coincident atoms),
     * in one block when smallPath, else by the binned search.
     */
    void build(CUstream s, NeighborBuffers b, int n, double rc, double minDistance, boolean smallPath) {
        if (smallPath) {
            small.launch(s, 1, 1, 1024, n, b.pos, b.lattice, b.inverse, b.planes, b.pbc, rc, minDistance,
                    b.edgeCapacity, b.rowStart, b.status, b.errorPair, b.center, b.neighbor, b.image, b.reverse);
            return;
        }
        int blocks = (n + THREADS - 1) / THREADS;
        int warpBlocks = (n * 32 + WARP_THREADS - 1) / WARP_THREADS;
        b.binCount.fill32(0, s);
        b.cursor.fill32(0, s);
        b.errorPair.fill32(-1, s);
        grid.launch(s, 1, 1, 512, n, b.pos, b.inverse, b.planes, b.pbc, rc, b.binCapacity, b.grid);
        bin.launch(s, blocks, 1, THREADS, n, b.pos, b.inverse, b.pbc, b.grid, b.atomBin, b.wrap, b.binCount);
        // the grid's bin count lives on the device; scanning the whole capacity is exact and costs little
        scan.launch(s, 1, 1, 1024, b.binCapacity, b.binCount, b.binStart);
        place.launch(s, blocks, 1, THREADS, n, b.atomBin, b.binStart, b.cursor, b.binAtoms);
        count.launch(s, warpBlocks, 1, WARP_THREADS, n, b.pos, b.lattice, b.pbc, b.grid, rc, b.atomBin, b.wrap,
                b.binStart, b.binAtoms, minDistance, b.rowCount, b.errorPair);
        scan.launch(s, 1, 1, 1024, n, b.rowCount, b.rowStart);
        total.launch(s, 1, 1, 1, n, b.rowStart, b.status);
        clamp.launch(s, (n + 1 + THREADS - 1) / THREADS, 1, THREADS, n, b.edgeCapacity, b.status, b.rowStart);
        fill.launch(s, warpBlocks, 1, WARP_THREADS, n, b.pos, b.lattice, b.pbc, b.grid, rc, b.atomBin, b.wrap,
                b.binStart, b.binAtoms, b.edgeCapacity, b.status, b.rowStart, b.center, b.neighbor, b.image);
        reverse.launch(s, (b.edgeCapacity + THREADS - 1) / THREADS, 1, THREADS, n, b.edgeCapacity, b.rowStart,
                b.center, b.neighbor, b.image, b.reverse);
    }
}
