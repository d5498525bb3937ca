package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor;

import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/**
 * Filter + message + aggregation, fused (message.cu): one thread per feature, each block the
 * rows of a contiguous range of atoms. The kernels are compiled for K ≤ 8, 12, 16, 20, 24, 32
 * (filter weights in registers, and as many multiply-adds per edge as the bound); the smallest
 * that holds the model's K is used.
 */
final class MessageKernels {
    static final int[] K_BOUNDS = {8, 12, 16, 20, 24, 32};
    static final int MAX_FEATURES = 256;
    private final Kernel fwd;
    private final Kernel bwd;
    private final Kernel fwd0;
    private final Kernel bwd0;
    private final Kernel fwdOld;
    private final Kernel bwdOld;
    private final int block;
    /** Blocks of each kernel the whole device holds at once. */
    private final int fwdResident;
    private final int bwdResident;

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
        bwd = new Kernel(cuda, "message", "painn_message_bwd_" + t);
        fwd0 = new Kernel(cuda, "message", "painn_message_fwd_l0_" + t);
        bwd0 = new Kernel(cuda, "message", "painn_message_bwd_l0_" + t);
        boolean old = "old".equals(System.getProperty("painn4j.msg")) && k == 20;
        fwdOld = old ? new Kernel(cuda, "message", "painn_message_fwd_old_" + t) : null;
        bwdOld = old ? new Kernel(cuda, "message", "painn_message_bwd_old_" + t) : null;
        block = (f + 31) / 32 * 32;
        int[] sms = {0};
        cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, cuda.device);
        fwdResident = sms[0] * resident(cuda, "painn_message_fwd_" + t, block);
        bwdResident = sms[0] * resident(cuda, "painn_message_bwd_" + t, block);
    }

    private static int resident(CudaContext cuda, String name, int block) {
        int[] n = {0};
        cuOccupancyMaxActiveBlocksPerMultiprocessor(n, cuda.function("message", name), block, 0);
        return Math.max(1, n[0]);
    }

    /**
     * Atoms per block: about two blocks per slot the device holds, so that blocks which drew
     * short rows (the surface of a cluster) make room for the rest, while each block still
     * streams many edges through its pipeline with its filter weights loaded once. The results
     * do not depend on it.
     */
    static int atomsPerBlock(int n, int resident) {
        int force = Integer.getInteger("painn4j.msgPerBlock", 0);
        if (force > 0) {
            return force;
        }
        return Math.max(1, (n + 2 * resident - 1) / (2 * resident));
    }

    private static int blocks(int n, int perBlock) {
        return (n + perBlock - 1) / perBlock;
    }

    /**
     * s' = s + Σ a, v' = v + Σ (b ⊗ u + c ⊙ v_j) for layer l. xRows / sRows (nullable) read row
     * xRows[i] of x and sRows[i] of s for atom i: layer 0 reads per-element tables through the
     * atomic numbers. A null v is zero.
     */
    void forward(CUstream s, int n, int f, int k, NeighborBuffers nb, EdgeBuffers e, DeviceModel m, int layer,
                 DeviceBuffer x, DeviceBuffer xRows, DeviceBuffer sIn, DeviceBuffer sRows, DeviceBuffer vIn,
                 DeviceBuffer sOut, DeviceBuffer vOut) {
        if (fwdOld != null) {
            fwdOld.launch(s, n, 1, block, n, f, k, nb.rowStart, nb.neighbor, m.filterW, m.filterB, m.filterRow(layer),
                    e.phi, e.fc, e.u, x, xRows, sIn, sRows, vIn, sOut, vOut);
            return;
        }
        boolean table = xRows != null;
        if (table != (sRows != null) || table != (vIn == null)) {
            throw new IllegalArgumentException("message forward: x and s from tables with v = 0 (layer 0), or none of them");
        }
        int per = atomsPerBlock(n, fwdResident);
        (table ? fwd0 : fwd).launch(s, blocks(n, per), 1, block, n, per, f, k, nb.rowStart, nb.neighbor, m.filterW, m.filterB, m.filterRow(layer),
                e.phi, e.fc, e.u, x, xRows, sIn, sRows, vIn, sOut, vOut);
    }

    /**
     * The layer's backward pass: ∂E/∂d and ∂E/∂u per edge (written when first, else added), and,
     * when atomGrads, ∂E/∂v (residual included) and ∂E/∂x per atom.
     */
    void backward(CUstream s, int n, int f, int k, NeighborBuffers nb, EdgeBuffers e, DeviceModel m, int layer,
                  DeviceBuffer x, DeviceBuffer xRows, DeviceBuffer vIn, DeviceBuffer gsMid, DeviceBuffer gvMid,
                  boolean first, boolean atomGrads, DeviceBuffer gv, DeviceBuffer gx) {
        if (bwdOld != null) {
            bwdOld.launch(s, n, 1, block, n, f, k, nb.rowStart, nb.neighbor, m.filterW, m.filterB, m.filterRow(layer),
                    e.phi, e.dphi, e.fc, e.dfc, e.u, x, xRows, vIn, gsMid, gvMid, first ? 1 : 0, e.gd, e.gU,
                    atomGrads ? 1 : 0, gv, gx);
            return;
        }
        boolean table = xRows != null;
        if (table != (vIn == null) || table == atomGrads) {
            throw new IllegalArgumentException("message backward: x from a table with v = 0 and no input adjoints (layer 0), or none of them");
        }
        int per = atomsPerBlock(n, bwdResident);
        (table ? bwd0 : bwd).launch(s, blocks(n, per), 1, block, n, per, f, k, nb.rowStart, nb.neighbor, m.filterW,
                m.filterB, m.filterRow(layer), e.phi, e.dphi, e.fc, e.dfc, e.u, x, xRows, vIn, gsMid, gvMid,
                first ? 1 : 0, e.gd, e.gU, gv, gx);
    }
}
