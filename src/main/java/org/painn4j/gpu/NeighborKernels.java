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
    }

    /** Builds the list of the n atoms in b.pos for the cutoff rc; minDistance: coincidence. */
    void build(CUstream s, NeighborBuffers b, int n, double rc, double minDistance) {
        int blocks = (n + THREADS - 1) / THREADS;
        b.binCount.fill32(0, s);
        b.cursor.fill32(0, s);
        b.errorPair.fill32(-1, s);
        grid.launch(s, 1, 1, 512, n, b.pos, b.inverse, b.planes, b.pbc, rc, b.binCapacity, b.grid);
        bin.launch(s, blocks, 1, THREADS, n, b.pos, b.inverse, b.pbc, b.grid, b.atomBin, b.wrap, b.binCount);
        // the grid's bin count lives on the device; scanning the whole capacity is exact and costs little
        scan.launch(s, 1, 1, 1024, b.binCapacity, b.binCount, b.binStart);
        place.launch(s, blocks, 1, THREADS, n, b.atomBin, b.binStart, b.cursor, b.binAtoms);
        count.launch(s, blocks, 1, THREADS, n, b.pos, b.lattice, b.pbc, b.grid, rc, b.atomBin, b.wrap,
                b.binStart, b.binAtoms, minDistance, b.rowCount, b.errorPair);
        scan.launch(s, 1, 1, 1024, n, b.rowCount, b.rowStart);
        total.launch(s, 1, 1, 1, n, b.rowStart, b.status);
        clamp.launch(s, (n + 1 + THREADS - 1) / THREADS, 1, THREADS, n, b.edgeCapacity, b.status, b.rowStart);
        fill.launch(s, blocks, 1, THREADS, n, b.pos, b.lattice, b.pbc, b.grid, rc, b.atomBin, b.wrap,
                b.binStart, b.binAtoms, b.edgeCapacity, b.status, b.rowStart, b.center, b.neighbor, b.image);
        reverse.launch(s, (b.edgeCapacity + THREADS - 1) / THREADS, 1, THREADS, n, b.edgeCapacity, b.rowStart,
                b.center, b.neighbor, b.image, b.reverse);
    }
}
