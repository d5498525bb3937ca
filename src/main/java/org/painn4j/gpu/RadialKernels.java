package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/** Edge geometry + radial basis + cutoff; and the end of the backward pass: forces, virial (radial.cu). */
final class RadialKernels {
    static final int EDGES_PER_BLOCK = 64;
    static final int FORCE_THREADS = 128;
    private final Kernel fwd;
    private final Kernel forces;
    private final Kernel sumColumns;
    private final Kernel sumSegments;

    RadialKernels(CudaContext cuda, Precision p) {
        String t = Real.suffix(p);
        fwd = new Kernel(cuda, "radial", "painn_radial_fwd_" + t);
        forces = new Kernel(cuda, "radial", "painn_forces_" + t);
        sumColumns = new Kernel(cuda, "radial", "painn_sum_columns");
        sumSegments = new Kernel(cuda, "radial", "painn_sum_segments");
    }

    /**
     * d, u, φ, φ', fc, fc' for every edge of the list (basis: 0 gaussian, 1 bessel); a batch's
     * edges take their structure's lattice (batch null: one structure, the list's lattice).
     */
    void forward(CUstream s, NeighborBuffers nb, BatchBuffers batch, DeviceBuffer pos, int n, int k, int basis,
                 double rc, DeviceBuffer mu, DeviceBuffer sigma, EdgeBuffers e) {
        fwd.launch(s, (nb.edgeCapacity + EDGES_PER_BLOCK - 1) / EDGES_PER_BLOCK, 1, EDGES_PER_BLOCK, n, nb.rowStart,
                nb.center, nb.neighbor, nb.image, pos, batch == null ? nb.lattice : batch.lattices,
                batch == null ? null : batch.atomStructure, k, basis, rc, mu, sigma, e.d, e.u, e.phi, e.dphi, e.fc,
                e.dfc);
    }

    /** Blocks of the force kernel (a warp per atom) for n atoms: the rows of its virial partial sums. */
    static int forceBlocks(int n) {
        int atomsPerBlock = FORCE_THREADS / 32;
        return Math.max(1, (n + atomsPerBlock - 1) / atomsPerBlock);
    }

    /**
     * From ∂E/∂d and ∂E/∂u per edge: forces (float64, [N][3]) by a gather over each row and its
     * reverse edges, and the virial Σ_e r_e ⊗ ∂E/∂r_e (float64, [9]) in a fixed order (virial
     * null: not summed, one launch fewer).
     */
    void forces(CUstream s, NeighborBuffers nb, DeviceBuffer pos, int n, EdgeBuffers e, DeviceBuffer out,
                DeviceBuffer partial, DeviceBuffer virial) {
        forces.launch(s, forceBlocks(n), 1, FORCE_THREADS, n, null, nb.rowStart, nb.center, nb.neighbor, nb.image,
                nb.reverse, pos, nb.lattice, e.d, e.u, e.gd, e.gU, out, partial);
        if (virial != null) {
            sumColumns.launch(s, 1, 1, 32 * 9, forceBlocks(n), 9, partial, virial);
        }
    }

    /**
     * The same for a batch: a row of blocks per structure, each structure's atoms in blocks of
     * their own (as many as it has alone), and its virial summed from its own partial sums, so
     * that forces and virial come out as for the structure alone; virials into batch.virials.
     */
    void forces(CUstream s, NeighborBuffers nb, BatchBuffers batch, DeviceBuffer pos, int n, EdgeBuffers e,
                DeviceBuffer out) {
        int blocks = forceBlocks(batch.largest());
        forces.launch(s, blocks, batch.structures(), FORCE_THREADS, n, batch.atomStart, nb.rowStart, nb.center,
                nb.neighbor, nb.image, nb.reverse, pos, batch.lattices, e.d, e.u, e.gd, e.gU, out, batch.forcePartial);
        sumSegments.launch(s, batch.structures(), 1, 32 * 9, blocks, FORCE_THREADS / 32, batch.atomStart, 9,
                batch.forcePartial, batch.virials);
    }
}
