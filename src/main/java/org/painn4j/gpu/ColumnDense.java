package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/**
 * The per-column dense kernels (painn_dense_fwd_rows, painn_dense_bwd_rows in dense.cu) on any
 * number of rows. {@link DenseKernels} launches them on at most SMALL_ROWS rows, one small
 * structure; a batch of such structures runs them on all its rows at once, since a row comes
 * out of the per-column kernel with other bits than out of the tiled one and each structure
 * must get the bits it gets alone. Launch geometry and arguments are DenseKernels'.
 */
final class ColumnDense {
    private final Kernel fwdRows;
    private final Kernel bwdRows;

    ColumnDense(CudaContext cuda, Precision p) {
        String t = Real.suffix(p);
        fwdRows = new Kernel(cuda, "dense", "painn_dense_fwd_rows_" + t);
        bwdRows = new Kernel(cuda, "dense", "painn_dense_bwd_rows_" + t);
    }

    /** y [rows][out] = act(x)·Wᵀ + b [+ residual], as DenseKernels.forward. */
    void forward(CUstream s, int rows, int out, int in, DeviceBuffer x, boolean siluIn, DeviceBuffer w,
                 DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y) {
        fwdRows.launch(s, DenseKernels.columnBlocks(out), DenseKernels.rowBlocks(rows), 256, rows, out, in, x,
                siluIn ? 1 : 0, w, bias, residual, y);
    }

    /** gx [rows][in] = (gy·W) [⊙ silu'(pre)] [+ residual], as DenseKernels.backward. */
    void backward(CUstream s, int rows, int in, int out, DeviceBuffer gy, DeviceBuffer w, DeviceBuffer pre,
                  DeviceBuffer residual, DeviceBuffer gx) {
        bwdRows.launch(s, DenseKernels.columnBlocks(in), DenseKernels.rowBlocks(rows), 256, rows, in, out, gy, w, pre,
                residual, gx);
    }
}
