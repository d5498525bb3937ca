package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/** Atom-wise dense layers as tiled GEMMs with fused activation, bias and residual (dense.cu). */
final class DenseKernels {
    static final int TILE = 64;
    private final Kernel fwd;
    private final Kernel bwd;

    DenseKernels(CudaContext cuda, Precision p) {
        fwd = new Kernel(cuda, "dense", "painn_dense_fwd_" + Real.suffix(p));
        bwd = new Kernel(cuda, "dense", "painn_dense_bwd_" + Real.suffix(p));
    }

    /** y [rows][out] = act(x)·Wᵀ + b [+ residual], act = silu when siluIn. */
    void forward(CUstream s, int rows, int out, int in, DeviceBuffer x, boolean siluIn, DeviceBuffer w,
                 DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y) {
        fwd.launch(s, tiles(out), tiles(rows), 256, rows, out, in, x, siluIn ? 1 : 0, w, bias, residual, y);
    }

    /** gx [rows][in] = (gy·W) [⊙ silu'(pre)] [+ residual], W [out][in]. */
    void backward(CUstream s, int rows, int in, int out, DeviceBuffer gy, DeviceBuffer w, DeviceBuffer pre,
                  DeviceBuffer residual, DeviceBuffer gx) {
        bwd.launch(s, tiles(in), tiles(rows), 256, rows, in, out, gy, w, pre, residual, gx);
    }

    static int tiles(int n) {
        return (n + TILE - 1) / TILE;
    }
}
