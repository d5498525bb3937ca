package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/** Edge geometry + radial basis + cutoff, forward and backward; forces and virial (radial.cu). */
final class RadialKernels {
    static final int VIRIAL_BLOCKS = 128;
    private static final int THREADS = 128;
    private final Kernel fwd;
    private final Kernel bwd;
    private final Kernel forces;
    private final Kernel virial;
    private final Kernel sumColumns;

    RadialKernels(CudaContext cuda, Precision p) {
        String t = Real.suffix(p);
        fwd = new Kernel(cuda, "radial", "painn_radial_fwd_" + t);
        bwd = new Kernel(cuda, "radial", "painn_radial_bwd_" + t);
        forces = new Kernel(cuda, "radial", "painn_forces_" + t);
        virial = new Kernel(cuda, "radial", "painn_virial_" + t);
        sumColumns = new Kernel(cuda, "radial", "painn_sum_columns");
    }

    /** d, u, φ, φ', fc, fc' for every edge of the list (basis: 0 gaussian, 1 bessel). */
    void forward(CUstream s, NeighborBuffers nb, int n, int k, int basis, double rc, DeviceBuffer mu,
                 DeviceBuffer sigma, EdgeBuffers e) {
        fwd.launch(s, blocks(nb.edgeCapacity), 1, THREADS, n, nb.rowStart, nb.center, nb.neighbor, nb.image,
                nb.pos, nb.lattice, k, basis, rc, mu, sigma, e.d, e.u, e.phi, e.dphi, e.fc, e.dfc);
    }

    /** ∂E/∂r per edge from the accumulated ∂E/∂φ, ∂E/∂fc, ∂E/∂u. */
    void backward(CUstream s, NeighborBuffers nb, int n, int k, EdgeBuffers e) {
        bwd.launch(s, blocks(nb.edgeCapacity), 1, THREADS, n, nb.rowStart, k, e.d, e.u, e.dphi, e.dfc,
                e.gPhi, e.gFc, e.gU, e.gr);
    }

    /** Forces (float64, [N][3]) by a gather over each row and its reverse edges. */
    void forces(CUstream s, NeighborBuffers nb, int n, EdgeBuffers e, DeviceBuffer out) {
        forces.launch(s, blocks(n), 1, THREADS, n, nb.rowStart, nb.reverse, e.gr, out);
    }

    /** W_ab = Σ_e r_ea ∂E/∂r_eb in float64, in a fixed order: partial [VIRIAL_BLOCKS][9] → out [9]. */
    void virial(CUstream s, NeighborBuffers nb, int n, EdgeBuffers e, DeviceBuffer partial, DeviceBuffer out) {
        virial.launch(s, VIRIAL_BLOCKS, 1, 256, n, nb.rowStart, nb.center, nb.neighbor, nb.image, nb.pos,
                nb.lattice, e.gr, partial);
        sumColumns.launch(s, 1, 1, 32, VIRIAL_BLOCKS, 9, partial, out);
    }

    private static int blocks(int count) {
        return (count + THREADS - 1) / THREADS;
    }
}
