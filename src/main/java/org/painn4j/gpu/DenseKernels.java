package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;

import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/**
 * Atom-wise dense layers as GEMMs with fused activation, bias and residual (dense.cu): 128×64
 * tiles of 8×8 per thread where they fill the device, else 64×64 tiles of 4×4, and one warp per
 * output column (lanes over k) for at most 64 rows.
 */
final class DenseKernels {
    static final int TILE = 64;
    /** The large tiles: GEMM_BIG_M × GEMM_BIG_N, GEMM_BIG_THREADS in dense.cuh. */
    static final int BIG_ROWS = 128;
    static final int BIG_COLUMNS = 64;
    static final int BIG_THREADS = 128;
    /** Rows up to which the per-column kernels are used (GEMM_SMALL_M in dense.cuh). */
    static final int SMALL_ROWS = 64;
    private final Kernel fwd;
    private final Kernel bwd;
    private final Kernel fwdBig;
    private final Kernel bwdBig;
    private final Kernel fwdRows;
    private final Kernel bwdRows;
    private final int multiprocessors;

    DenseKernels(CudaContext cuda, Precision p) {
        String t = Real.suffix(p);
        fwd = new Kernel(cuda, "dense", "painn_dense_fwd_" + t);
        bwd = new Kernel(cuda, "dense", "painn_dense_bwd_" + t);
        fwdBig = new Kernel(cuda, "dense", "painn_dense_fwd_big_" + t);
        bwdBig = new Kernel(cuda, "dense", "painn_dense_bwd_big_" + t);
        fwdRows = new Kernel(cuda, "dense", "painn_dense_fwd_rows_" + t);
        bwdRows = new Kernel(cuda, "dense", "painn_dense_bwd_rows_" + t);
        int[] sms = {0};
        cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, cuda.device);
        multiprocessors = sms[0];
    }

    /**
     * The large tiles once they make at least one block per multiprocessor: below that the
     * 64×64 tiles spread the same product over four times as many blocks. (At 16,384 atoms the
     * two shapes measured within 3 % of each other; the double-buffered slices are what sped both
     * up.)
     */
    private boolean big(int rows, int columns) {
        return (long) bigTiles(rows) * columns(columns) >= multiprocessors;
    }

    private static int bigTiles(int rows) {
        return (rows + BIG_ROWS - 1) / BIG_ROWS;
    }

    private static int columns(int n) {
        return (n + BIG_COLUMNS - 1) / BIG_COLUMNS;
    }

    /** y [rows][out] = act(x)·Wᵀ + b [+ residual], act = silu when siluIn. */
    void forward(CUstream s, int rows, int out, int in, DeviceBuffer x, boolean siluIn, DeviceBuffer w,
                 DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y) {
        if (rows <= SMALL_ROWS) {
            fwdRows.launch(s, columnBlocks(out), rowBlocks(rows), 256, rows, out, in, x, siluIn ? 1 : 0, w, bias, residual, y);
        } else if (big(rows, out)) {
            fwdBig.launch(s, columns(out), bigTiles(rows), BIG_THREADS, rows, out, in, x, siluIn ? 1 : 0, w, bias,
                    residual, y);
        } else {
            fwd.launch(s, tiles(out), tiles(rows), 256, rows, out, in, x, siluIn ? 1 : 0, w, bias, residual, y);
        }
    }

    /** gx [rows][in] = (gy·W) [⊙ silu'(pre)] [+ residual], W [out][in]. */
    void backward(CUstream s, int rows, int in, int out, DeviceBuffer gy, DeviceBuffer w, DeviceBuffer pre,
                  DeviceBuffer residual, DeviceBuffer gx) {
        if (rows <= SMALL_ROWS) {
            bwdRows.launch(s, columnBlocks(in), rowBlocks(rows), 256, rows, in, out, gy, w, pre, residual, gx);
        } else if (big(rows, in)) {
            bwdBig.launch(s, columns(in), bigTiles(rows), BIG_THREADS, rows, in, out, gy, w, pre, residual, gx);
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
