package org.painn4j.gpu;


/** Device memory of the neighbor list and its search, for fixed atom and edge capacities. */
final class NeighborBuffers extends BufferSet {
    final int atomCapacity;
    final int edgeCapacity;
    final int binCapacity;
    // the structure
    final DeviceBuffer pos;
    final DeviceBuffer numbers;
    final DeviceBuffer lattice;
    final DeviceBuffer inverse;
    final DeviceBuffer planes;
    final DeviceBuffer pbc;
    // the search
    final DeviceBuffer grid;
    final DeviceBuffer atomBin;
    final DeviceBuffer wrap;
    final DeviceBuffer binCount;
    final DeviceBuffer binStart;
    final DeviceBuffer cursor;
    final DeviceBuffer binAtoms;
    final DeviceBuffer rowCount;
    /** Rows of up to KEPT_KEYS edges, sorted by the counting pass for the filling pass (neighbors.cu). */
    final DeviceBuffer rowKeys;
    static final int KEPT_KEYS = 128;
    /** Each row's smallest coincident pair (the pairs search), reduced into errorPair. */
    final DeviceBuffer rowError;
    final DeviceBuffer status;
    final DeviceBuffer errorPair;
    // the list, CSR
    final DeviceBuffer rowStart;
    final DeviceBuffer center;
    final DeviceBuffer neighbor;
    final DeviceBuffer image;
    final DeviceBuffer reverse;

    NeighborBuffers(CudaContext cuda, int atomCapacity, int edgeCapacity) {
        this.atomCapacity = atomCapacity;
        this.edgeCapacity = edgeCapacity;
        this.binCapacity = atomCapacity + 1024;
        long n = atomCapacity;
        long e = edgeCapacity;
        pos = add(cuda, "positions", 24 * n);
        numbers = add(cuda, "atomic numbers", 4 * n);
        lattice = add(cuda, "lattice", 72);
        inverse = add(cuda, "search frame", 72);
        planes = add(cuda, "plane spacings", 24);
        pbc = add(cuda, "pbc", 12);
        grid = add(cuda, "bin grid", 128);
        atomBin = add(cuda, "atom bins", 4 * n);
        wrap = add(cuda, "wrap counts", 12 * n);
        binCount = add(cuda, "bin counts", 4L * binCapacity);
        binStart = add(cuda, "bin starts", 4L * (binCapacity + 1));
        cursor = add(cuda, "bin cursors", 4L * binCapacity);
        binAtoms = add(cuda, "binned atoms", 4 * n);
        rowCount = add(cuda, "row counts", 4 * n);
        rowKeys = add(cuda, "kept rows", 8L * KEPT_KEYS * n);
        rowError = add(cuda, "coincident atoms by row", 8 * n);
        // [0] the edge count (int), [8..16) the coincident pair (u64): read back in one copy
        status = add(cuda, "neighbor status", 16);
        errorPair = status.slice("coincident atoms", 8, 8);
        rowStart = add(cuda, "row starts", 4 * (n + 1));
        center = add(cuda, "edge centers", 4 * e);
        neighbor = add(cuda, "edge neighbors", 4 * e);
        image = add(cuda, "edge images", 12 * e);
        reverse = add(cuda, "reverse edges", 4 * e);
    }

    /** The structure's atomic numbers and its search frame (synchronous copies). */
    void upload(int[] numbers, SearchFrame frame) {
        if (numbers.length > 0) {
            this.numbers.upload(numbers);
        }
        lattice.upload(frame.lattice());
        inverse.upload(frame.inverse());
        planes.upload(frame.planes());
        pbc.upload(frame.pbc());
    }
}
