package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;

import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/**
 * One GEMM kernel of dense.cuh in its drivers: 64×64 tiles of 4×4 per thread, pipelined 128×64
 * tiles of 8×8 per thread ({@code _big}, where they fill the device) and 32×32 tiles of 4×4
 * ({@code _mid}, where 64×64 tiles would leave it half empty), and, for few rows ({@code _rows}),
 * blocks of four output columns with a row per lane and a slice of k per warp in float32 (on
 * Hopper, for K_d = 256 and 384, over clusters of 2 and 3 blocks: {@code _rows_c2}, {@code
 * _rows_c3}), a warp per column with the lanes over k in float64, each launched on the grid it
 * expects.
 *
 * <p>Every driver computes each row apart from the others, but the per-column one sums in
 * another order than the tiled ones (which agree with each other). So the caller decides
 * {@code perColumn}: a structure alone takes it for at most {@link #SMALL_ROWS} rows, and a batch
 * takes what its largest structure takes alone, so that each structure gets the bits it gets alone.
 */
final class GemmKernel {
    static final int TILE = 64;
    /** The large tiles: GEMM_BIG_M × GEMM_BIG_N, GEMM_BIG_THREADS in dense.cuh. */
    static final int BIG_ROWS = 128;
    static final int BIG_COLUMNS = 64;
    static final int BIG_THREADS = 128;
    /**
     * The mid-size tiles, GEMM_MID_TILE² in dense.cuh: taken where 64×64 tiles would make fewer
     * than two blocks per multiprocessor (a few hundred to a few thousand rows), so that four
     * times as many blocks share the product; 2×4 outputs per thread in float32 (128 threads),
     * 4×4 in float64 (64): GEMM_MID_ROWS_F32 and _F64 there.
     */
    static final int MID_TILE = 32;
    static final int MID_ROWS_F32 = 2;
    static final int MID_ROWS_F64 = 4;
    private final int midThreads;
    /** Rows up to which a structure alone gets the per-column driver (GEMM_SMALL_M in dense.cuh). */
    static final int SMALL_ROWS = 64;
    static final int THREADS = 256;
    /**
     * The per-column driver in float32 (gemm_slices): GEMM_SLICES_N columns per block, a warp per
     * slice of 32 k, at most GEMM_SLICES_MAX_WARPS / groups warps; in float64 (gemm_columns): a
     * warp per column, GEMM_COLUMNS_WARPS of them per block.
     */
    static final int SLICES_COLUMNS = 4;
    static final int SLICES_MAX_WARPS = 12;
    static final int COLUMNS_WARPS = 8;

    private final Kernel tiles;
    private final Kernel big;
    private final Kernel mid;
    private final Kernel rows;
    /** The float32 per-column driver of K_d = 256 and 384 over clusters of 2 and 3 blocks (Hopper; else null). */
    private final Kernel rowsC2;
    private final Kernel rowsC3;
    private final int groups;
    private final boolean slices;
    private final int multiprocessors;

    /**
     * name_t, name_big_t (when withBig) and name_rows_t of the stage's module, t = f32 or f64;
     * groups: the sets of weight columns that share the input rows (the mixing update's three).
     * The kernels of one group (dense.cu's) also have name_rows_c2_f32 and name_rows_c3_f32.
     */
    GemmKernel(CudaContext cuda, String stage, String name, Precision p, boolean withBig, int groups) {
        String t = Real.suffix(p);
        tiles = new Kernel(cuda, stage, name + "_" + t);
        big = withBig ? new Kernel(cuda, stage, name + "_big_" + t) : null;
        mid = new Kernel(cuda, stage, name + "_mid_" + t);
        midThreads = midThreads(p);
        rows = new Kernel(cuda, stage, name + "_rows_" + t);
        this.groups = groups;
        slices = p == Precision.FLOAT32;
        boolean clusters = slices && groups == 1 && cuda.computeCapability() >= 90;
        rowsC2 = clusters ? new Kernel(cuda, stage, name + "_rows_c2_" + t) : null;
        rowsC3 = clusters ? new Kernel(cuda, stage, name + "_rows_c3_" + t) : null;
        int[] sms = {0};
        cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, cuda.device);
        multiprocessors = sms[0];
    }

    /**
     * Rows up to which a structure alone gets the per-column driver: SMALL_ROWS. The system
     * property painn4j.gemm.perColumnRows sets another bound for measurement (0: the tiled
     * drivers, on the tensor cores, for every size), which changes the bits of the structures
     * it moves, and may give a structure in a batch other bits than alone.
     */
    static final int PER_COLUMN_ROWS = Math.max(0, Integer.getInteger("painn4j.gemm.perColumnRows", SMALL_ROWS));

    /** Whether a structure of this many rows gets the per-column driver when it runs alone. */
    static boolean perColumn(int rowCount) {
        return rowCount <= PER_COLUMN_ROWS;
    }

    /** The drivers of dense.cuh, by the entry point's suffix. */
    enum Driver { ROWS, BIG, MID, TILES }

    /**
     * Where the tiled drivers change, in blocks per multiprocessor × 100: the large tiles from
     * BIG_FROM blocks of their own, the mid-size ones below MID_BELOW blocks of 64×64. Both were
     * measured with the products on the FMA pipe (performance.md, entries 22 and 28), before the
     * tensor cores (entry 58) made each block's products cheaper; the system properties
     * painn4j.gemm.bigFrom and painn4j.gemm.midBelow move them for measurement. The tiled drivers
     * give the same bits, so the results do not depend on them.
     */
    static final int BIG_FROM = Math.max(0, Integer.getInteger("painn4j.gemm.bigFrom", 100));
    static final int MID_BELOW = Math.max(0, Integer.getInteger("painn4j.gemm.midBelow", 200));

    /**
     * The driver of a product of `rowCount` × `columns` outputs on a device of `multiprocessors`:
     * the per-column one when the caller asks for it; else the large tiles once they make at
     * least one block per multiprocessor (below that, smaller tiles spread the same product over
     * more blocks; at 16,384 atoms the 128×64 and 64×64 shapes measured within 3 % of each
     * other); else the 32×32 tiles where 64×64 ones would make fewer than two blocks per
     * multiprocessor; else the 64×64 tiles. pipelined: whether the large and mid-size tiles can
     * take it (they copy A and W as stored, 16 bytes at a time: no activation on A, K and the
     * columns multiples of 4); withBig: whether the kernel has the large tiles.
     */
    static Driver driver(int rowCount, int columns, boolean perColumn, boolean pipelined, boolean withBig,
                         int multiprocessors) {
        return driver(rowCount, columns, perColumn, pipelined, withBig, multiprocessors, BIG_FROM, MID_BELOW);
    }

    /** The same with the switch points given (blocks per multiprocessor × 100). */
    static Driver driver(int rowCount, int columns, boolean perColumn, boolean pipelined, boolean withBig,
                         int multiprocessors, int bigFrom, int midBelow) {
        if (perColumn) {
            return Driver.ROWS;
        }
        long bigBlocks = (long) ceil(rowCount, BIG_ROWS) * ceil(columns, BIG_COLUMNS);
        if (withBig && pipelined && 100 * bigBlocks >= (long) bigFrom * multiprocessors) {
            return Driver.BIG;
        }
        long tileBlocks = (long) ceil(columns, TILE) * ceil(rowCount, TILE);
        if (pipelined && 100 * tileBlocks < (long) midBelow * multiprocessors) {
            return Driver.MID;
        }
        return Driver.TILES;
    }

    /**
     * The switch points in force, for reports: "perColumnRows R, bigFrom B, midBelow M" (rows;
     * blocks per multiprocessor × 100).
     */
    static String switchPoints() {
        return "perColumnRows " + PER_COLUMN_ROWS + ", bigFrom " + BIG_FROM + ", midBelow " + MID_BELOW;
    }

    /** Threads of a mid-size tile: 4 columns and MID_ROWS rows of outputs each. */
    static int midThreads(Precision p) {
        return (MID_TILE / 4) * (MID_TILE / (p == Precision.FLOAT32 ? MID_ROWS_F32 : MID_ROWS_F64));
    }

    /** K_d per block of the clustered per-column kernels: four warps of 32 k. */
    static final int CLUSTER_DEPTH = 128;

    /**
     * The clustered per-column kernel for K_d (256: 2 blocks, 384: 3), or null where there is
     * none (float64, the three-group update, before Hopper, other K_d). It sums in the order of
     * the one-block kernel, so either gives the same bits.
     */
    private Kernel clusterKernel(int depth) {
        if (rowsC2 == null) {
            return null;
        }
        return depth == 2 * CLUSTER_DEPTH ? rowsC2 : depth == 3 * CLUSTER_DEPTH ? rowsC3 : null;
    }

    /** Warps of a float32 per-column block: a slice of 32 k each, as many as K_d has (slices_warps in dense.cuh). */
    static int slicesWarps(int depth, int groups) {
        return Math.min(SLICES_MAX_WARPS / groups, Math.max(1, ceil(depth, 32)));
    }

    /**
     * A product of `rowCount` × `columns` outputs summed over `depth` (K_d) (see driver); args as
     * the kernel's parameter list.
     */
    void launch(CUstream s, int rowCount, int columns, int depth, boolean perColumn, boolean pipelined,
                Object... args) {
        switch (driver(rowCount, columns, perColumn, pipelined, big != null, multiprocessors)) {
            case ROWS -> {
                Kernel clustered = clusterKernel(depth);
                if (clustered != null) {
                    int cl = depth / CLUSTER_DEPTH;
                    // a warp per 32 k of the block's CLUSTER_DEPTH: as many threads as k
                    clustered.launch(s, ceil(columns, SLICES_COLUMNS) * cl, ceil(rowCount, 32), CLUSTER_DEPTH, args);
                } else if (slices) {
                    rows.launch(s, ceil(columns, SLICES_COLUMNS), ceil(rowCount, 32), 32 * slicesWarps(depth, groups), args);
                } else {
                    rows.launch(s, ceil(columns, COLUMNS_WARPS), ceil(rowCount, 32), 32 * COLUMNS_WARPS, args);
                }
            }
            case BIG -> big.launch(s, ceil(columns, BIG_COLUMNS), ceil(rowCount, BIG_ROWS), BIG_THREADS, args);
            case MID -> mid.launch(s, ceil(columns, MID_TILE), ceil(rowCount, MID_TILE), midThreads, args);
            default -> tiles.launch(s, ceil(columns, TILE), ceil(rowCount, TILE), THREADS, args);
        }
    }

    private static int ceil(int n, int d) {
        return (n + d - 1) / d;
    }
}
