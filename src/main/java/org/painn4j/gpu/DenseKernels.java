package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/** Atom-wise dense layers as GEMMs with fused activation, bias and residual (dense.cu). */
final class DenseKernels {
    private final GemmKernel fwd;
    private final GemmKernel bwd;

    DenseKernels(CudaContext cuda, Precision p) {
        fwd = new GemmKernel(cuda, "dense", "painn_dense_fwd", p, true, 1);
        bwd = new GemmKernel(cuda, "dense", "painn_dense_bwd", p, true, 1);
    }

    /**
     * y [rows][out] = act(x)·Wᵀ + b [+ residual], act = silu when siluIn, and yAct = silu(y) where
     * given (for a next layer that takes silu(y): cheaper stored once than applied as staged);
     * perColumn: GemmKernel's.
     */
    void forward(CUstream s, int rows, boolean perColumn, int out, int in, DeviceBuffer x, boolean siluIn,
                 DeviceBuffer w, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y, DeviceBuffer yAct) {
        forward(s, rows, perColumn, out, in, x, siluIn, w, bias, residual, y, yAct, null);
    }

    /**
     * As above, but where primeScale is given, y receives silu'(pre)·primeScale instead of the
     * pre-activation: the adjoint of this layer's output when the next layer has one output, of
     * weights primeScale [out], and adjoint 1 (the readout's last layer).
     */
    void forward(CUstream s, int rows, boolean perColumn, int out, int in, DeviceBuffer x, boolean siluIn,
                 DeviceBuffer w, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y, DeviceBuffer yAct,
                 DeviceBuffer primeScale) {
        boolean pipelined = !siluIn && in % 4 == 0 && out % 4 == 0;
        fwd.launch(s, rows, out, in, perColumn, pipelined, rows, out, in, x, siluIn ? 1 : 0, w, bias, residual, y, yAct,
                primeScale);
    }

    /** As above, for rows that are one structure alone. */
    void forward(CUstream s, int rows, int out, int in, DeviceBuffer x, boolean siluIn, DeviceBuffer w,
                 DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y, DeviceBuffer yAct) {
        forward(s, rows, GemmKernel.perColumn(rows), out, in, x, siluIn, w, bias, residual, y, yAct);
    }

    /** gx [rows][in] = (gy·W) [⊙ silu'(pre)] [+ residual], W [out][in]; perColumn: GemmKernel's. */
    void backward(CUstream s, int rows, boolean perColumn, int in, int out, DeviceBuffer gy, DeviceBuffer w,
                  DeviceBuffer pre, DeviceBuffer residual, DeviceBuffer gx) {
        bwd.launch(s, rows, in, out, perColumn, in % 4 == 0 && out % 4 == 0, rows, in, out, gy, w, pre, residual, gx);
    }

    /** As above, for rows that are one structure alone. */
    void backward(CUstream s, int rows, int in, int out, DeviceBuffer gy, DeviceBuffer w, DeviceBuffer pre,
                  DeviceBuffer residual, DeviceBuffer gx) {
        backward(s, rows, GemmKernel.perColumn(rows), in, out, gy, w, pre, residual, gx);
    }
}
