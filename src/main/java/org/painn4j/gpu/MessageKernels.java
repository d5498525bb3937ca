package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/**
 * Filter + message + aggregation, fused (message.cu): one block per atom, one thread per
 * feature. The kernels are compiled for K ≤ 8, 16, 24, 32 (filter weights in registers); the
 * smallest that holds the model's K is used.
 */
final class MessageKernels {
    static final int[] K_BOUNDS = {8, 16, 24, 32};
    static final int MAX_FEATURES = 256;
    private final Kernel fwd;
    private final Kernel bwdEdge;
    private final Kernel bwdAtom;
    private final int block;

    MessageKernels(CudaContext cuda, Precision p, int f, int k) {
        if (f > MAX_FEATURES) {
            throw new GpuException("the GPU engine supports n_atom_basis up to " + MAX_FEATURES + "; this model has " + f);
        }
        int bound = 0;
        for (int b : K_BOUNDS) {
            if (k <= b) {
                bound = b;
                break;
            }
        }
        if (bound == 0) {
            throw new GpuException("the GPU engine supports n_rbf up to 32; this model has " + k);
        }
        String t = Real.suffix(p) + "_k" + bound;
        fwd = new Kernel(cuda, "message", "painn_message_fwd_" + t);
        bwdEdge = new Kernel(cuda, "message", "painn_message_bwd_edge_" + t);
        bwdAtom = new Kernel(cuda, "message", "painn_message_bwd_atom_" + t);
        block = (f + 31) / 32 * 32;
    }

    /** s' = s + Σ a, v' = v + Σ (b ⊗ u + c ⊙ v_j) for layer l (filter rows from row0). */
    void forward(CUstream s, int n, int f, int k, NeighborBuffers nb, EdgeBuffers e, DeviceModel m, int layer,
                 DeviceBuffer x, DeviceBuffer sIn, DeviceBuffer vIn, DeviceBuffer sOut, DeviceBuffer vOut) {
        fwd.launch(s, n, 1, block, n, f, k, nb.rowStart, nb.neighbor, m.filterW, m.filterB, m.filterRow(layer),
                e.phi, e.fc, e.u, x, sIn, vIn, sOut, vOut);
    }

    /** Adds this layer's ∂E/∂φ, ∂E/∂fc, ∂E/∂u per edge (kernel A). */
    void backwardEdge(CUstream s, int n, int f, int k, NeighborBuffers nb, EdgeBuffers e, DeviceModel m, int layer,
                      DeviceBuffer x, DeviceBuffer vIn, DeviceBuffer gsOut, DeviceBuffer gvOut) {
        bwdEdge.launch(s, n, 1, block, n, f, k, nb.rowStart, nb.neighbor, m.filterW, m.filterB, m.filterRow(layer),
                e.phi, e.fc, e.u, x, vIn, gsOut, gvOut, e.gPhi, e.gFc, e.gU);
    }

    /** ∂E/∂v (residual included) and ∂E/∂x, gathered over reverse edges (kernel B). */
    void backwardAtom(CUstream s, int n, int f, int k, NeighborBuffers nb, EdgeBuffers e, DeviceModel m, int layer,
                      DeviceBuffer x, DeviceBuffer vIn, DeviceBuffer gsOut, DeviceBuffer gvOut, DeviceBuffer gv,
                      DeviceBuffer gx) {
        bwdAtom.launch(s, n, 1, block, n, f, k, nb.rowStart, nb.neighbor, m.filterW, m.filterB, m.filterRow(layer),
                e.phi, e.fc, e.u, x, vIn, gsOut, gvOut, gv, gx);
    }
}
