package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/**
 * Atom-wise dense layers as GEMMs with fused activation, bias and residual (dense.cu): 64×64
 * tiles for many rows, one warp per output column (lanes over k) for at most 64 rows.
 */
final class DenseKernels {
    static final int TILE = 64;
    /** Rows up to which the per-column kernels are used (GEMM_SMALL_M in dense.cuh). */
    static final int SMALL_ROWS = 64;
    private final Kernel fwd;
    private final Kernel bwd;
    private final Kernel fwdRows;
    private final Kernel bwdRows;

    DenseKernels(CudaContext cuda, Precision p) {
        String t = Real.suffix(p);
        fwd = new Kernel(cuda, "dense", "painn_dense_fwd_" + t);
        bwd = new Kernel(cuda, "dense", "painn_dense_bwd_" + t);
        fwdRows = new Kernel(cuda, "dense", "painn_dense_fwd_rows_" + t);
        bwdRows = new Kernel(cuda, "dense", "painn_dense_bwd_rows_" + t);
    }

    /** y [rows][out] = act(x)·Wᵀ + b [+ residual], act = silu when siluIn. */
    void forward(CUstream s, int rows, int out, int in, DeviceBuffer x, boolean siluIn, DeviceBuffer w,
                 DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y) {
        if (rows <= SMALL_ROWS) {
            fwdRows.launch(s, columnBlocks(out), rowBlocks(rows), 256, rows, out, in, x, siluIn ? 1 : 0, w, bias, residual, y);
        } else {
            fwd.launch(s, tiles(out), tiles(rows), 256, rows, out, in, x, siluIn ? 1 : 0, w, bias, residual, y);
        }
    }

    /** gx [rows][in] = (gy·W) [⊙ silu'(pre)] [+ residual], W [out][in]. */
    void backward(CUstream s, int rows, int in, int out, DeviceBuffer gy, DeviceBuffer w, DeviceBuffer pre,
                  DeviceBuffer residual, DeviceBuffer gx) {
        if (rows <= SMALL_ROWS) {
            bwdRows.launch(s, columnBlocks(in), rowBlocks(rows), 256, rows, in, out, gy, w, pre, residual, gx);
        } else {
            bwd.launch(s, tiles(in), tiles(rows), 256, rows, in, out, gy, w, pre, residual, gx);
        }
    }

    static int tiles(int n) {
        return (n + TILE - 1) / TILE;
    }

    /** The per-column kernels: 8 columns (warps) per block, 32 rows per block. */
    static int columnBlocks(int columns) {
        return (columns + 7) / 8;
    }

    static int rowBlocks(int rows) {
        return (rows + 31) / 32;
    }
}
