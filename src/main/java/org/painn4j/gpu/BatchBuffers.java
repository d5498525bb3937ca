package org.painn4j.gpu;

import java.util.Arrays;
import java.util.List;
import org.painn4j.structure.Structure;

/**
 * Device memory of a batch of structures evaluated as one: where each structure's atoms start,
 * each structure's lattice and search frame, the bins of each structure's own neighbor search
 * (a batch of structures too large for the single-block search), and what comes out per
 * structure (edge count, coincident atoms, energy, virial). The atoms themselves, their list
 * and their features live in the calculator's ordinary buffers, one after another.
 */
final class BatchBuffers extends BufferSet {
    final int structureCapacity;
    final int atomCapacity;
    /** Atoms of the largest structure the virial partial sums have rows for. */
    final int largestCapacity;
    /** [S + 1]: structure b holds atoms [atomStart[b], atomStart[b + 1]). */
    final DeviceBuffer atomStart;
    /** [N]: the structure of each atom. */
    final DeviceBuffer atomStructure;
    final DeviceBuffer lattices;
    final DeviceBuffer inverses;
    final DeviceBuffer planes;
    final DeviceBuffer pbcs;
    /** Virial partial sums: [S][ROWS][9], a structure's force blocks apart from the others'. */
    final DeviceBuffer forcePartial;
    /** Read back in one copy: coincident pairs (u64), energies, virials [9], edge counts (int, padded). */
    final DeviceBuffer results;
    final DeviceBuffer errorPairs;
    final DeviceBuffer energies;
    final DeviceBuffer virials;
    final DeviceBuffer edgeCounts;
    /** Bytes of one structure's bin grid (struct Grid in neighbors.cu, padded). */
    static final int GRID_BYTES = 128;
    /** The binned search of a batch of larger structures: each structure's grid and bins. */
    final DeviceBuffer grids;
    final DeviceBuffer binCount;
    final DeviceBuffer binStart;
    final DeviceBuffer cursor;
    // the batch now on the device
    private int structures;
    private int atoms;
    private int largest;
    private int[] starts = {0};
    private boolean binned;
    private int[][] uploadedNumbers;
    private SearchFrame[] uploadedFrames;

    BatchBuffers(CudaContext cuda, int structureCapacity, int atomCapacity, int largestCapacity) {
        this.structureCapacity = structureCapacity;
        this.atomCapacity = atomCapacity;
        this.largestCapacity = Math.max(largestCapacity, NeighborKernels.SMALL_ATOMS);
        long s = structureCapacity;
        long bins = atomCapacity + (BIN_SLACK + 1) * s;
        grids = add(cuda, "batch bin grids", (long) GRID_BYTES * s);
        binCount = add(cuda, "batch bin counts", 4 * bins);
        binStart = add(cuda, "batch bin starts", 4 * bins);
        cursor = add(cuda, "batch bin cursors", 4 * bins);
        atomStart = add(cuda, "batch atom starts", 4 * (s + 1));
        atomStructure = add(cuda, "batch atom structures", 4L * atomCapacity);
        lattices = add(cuda, "batch lattices", 72 * s);
        inverses = add(cuda, "batch search frames", 72 * s);
        planes = add(cuda, "batch plane spacings", 24 * s);
        pbcs = add(cuda, "batch pbc", 12 * s);
        forcePartial = add(cuda, "batch virial partial sums", 72L * RadialKernels.forceBlocks(this.largestCapacity) * s);
        results = add(cuda, "batch results", resultBytes(structureCapacity));
        errorPairs = results.slice("batch coincident atoms", 0, 8 * s);
        energies = results.slice("batch energies", 8 * s, 8 * s);
        virials = results.slice("batch virials", 16 * s, 72 * s);
        edgeCounts = results.slice("batch edge counts", 88 * s, 4 * s);
    }

    /** Bytes of the results block for s structures. */
    static long resultBytes(int s) {
        return 96L * s;
    }

    int structures() {
        return structures;
    }

    int atoms() {
        return atoms;
    }

    /** Atoms of the largest structure: it picks the size-dependent kernels (GpuCalculator). */
    int largest() {
        return largest;
    }

    /** Whether the batch's structures are searched by the binned kernels, each on its own. */
    boolean binned() {
        return binned;
    }

    /** [S + 1]: where each structure's atoms start (host copy of atomStart). */
    int[] starts() {
        return starts;
    }

    /** Bins of structure k's search, as many as the calculator gives a structure alone (NeighborBuffers). */
    int binCapacity(int k) {
        return starts[k + 1] - starts[k] + BIN_SLACK;
    }

    /** Where structure k's bins start in binCount and cursor (binStart: one more per structure before it). */
    long binBase(int k) {
        return (long) starts[k] + (long) BIN_SLACK * k;
    }

    private static final int BIN_SLACK = 1024;

    /**
     * Makes these structures the batch on the device: their atomic numbers, one after another,
     * into numbers, and their layout and frames here (synchronous copies, skipped when the batch
     * has the same species and cells as the one before). Returns whether it copied.
     */
    boolean upload(List<Structure> batch, SearchFrame[] frames, DeviceBuffer numbers, boolean binnedSearch) {
        int s = batch.size();
        int[][] z = new int[s][];
        int[] start = new int[s + 1];
        int big = 0;
        for (int b = 0; b < s; b++) {
            z[b] = batch.get(b).numbers();
            start[b + 1] = start[b] + z[b].length;
            big = Math.max(big, z[b].length);
        }
        structures = s;
        atoms = start[s];
        largest = big;
        starts = start;
        binned = binnedSearch;
        if (Arrays.deepEquals(z, uploadedNumbers) && Arrays.equals(frames, uploadedFrames)) {
            return false;
        }
        int[] all = new int[atoms];
        int[] owner = new int[atoms];
        double[] lat = new double[9 * s];
        double[] inv = new double[9 * s];
        double[] pl = new double[3 * s];
        int[] pb = new int[3 * s];
        for (int b = 0; b < s; b++) {
            System.arraycopy(z[b], 0, all, start[b], z[b].length);
            Arrays.fill(owner, start[b], start[b + 1], b);
            System.arraycopy(frames[b].lattice(), 0, lat, 9 * b, 9);
            System.arraycopy(frames[b].inverse(), 0, inv, 9 * b, 9);
            System.arraycopy(frames[b].planes(), 0, pl, 3 * b, 3);
            System.arraycopy(frames[b].pbc(), 0, pb, 3 * b, 3);
        }
        if (atoms > 0) {
            numbers.upload(all);
            atomStructure.upload(owner);
        }
        atomStart.upload(start);
        lattices.upload(lat);
        inverses.upload(inv);
        planes.upload(pl);
        pbcs.upload(pb);
        uploadedNumbers = z;
        uploadedFrames = frames.clone();
        return true;
    }

    /** The next upload copies everything again (the atomic numbers' buffer was written by another). */
    void forget() {
        uploadedNumbers = null;
        uploadedFrames = null;
    }

    /** Every buffer a batched evaluation writes, for poisoning. */
    List<DeviceBuffer> outputs() {
        return List.of(forcePartial, results);
    }
}
