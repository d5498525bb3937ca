package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;

import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/**
 * Filter + message + aggregation, fused (message.cu): one thread per feature, each block the
 * rows of a contiguous range of atoms. The kernels are compiled for K ≤ 8, 12, 16, 20, 24, 32
 * (filter weights in registers, and as many multiply-adds per edge as the bound); the smallest
 * that holds the model's K is used; for K ≤ 20 and F = 128 (the shipped model's, and
 * schnetpack's default n_rbf) also with F fixed. Layer 0 (x and s from per-element tables, v = 0,
 * no input adjoints) has kernels of its own. On Hopper, structures of at most SPLIT_ATOMS atoms
 * (the largest of a batch) take the kernels of message_split.cu instead, which split each row
 * over a cluster of blocks (batches of more than SPLIT_ATOMS atoms in all: the same sums, a
 * block per row); compiled for K ≤ 20 and K ≤ 32. On request (useTiled), larger structures on
 * Hopper with F = 128 and 17 ≤ K ≤ 20 (the kernels with F fixed) take message_tiled.cu's
 * forward kernel for layers ≥ 1, which forms the filter on the tensor cores (one block of 384
 * threads per multiprocessor; slower, performance.md entry 64).
 */
final class MessageKernels {
    static final int[] K_BOUNDS = {8, 12, 16, 20, 24, 32};
    static final int MAX_FEATURES = 256;
    /**
     * The configuration also compiled with F fixed (schnetpack's default n_rbf, the shipped
     * model's F): the three reals of a gathered row then sit at constant offsets, one address per
     * row instead of one per real. Same sums, same bits as the kernels for any F.
     */
    static final int EXACT_K_BOUND = 20;
    static final int EXACT_FEATURES = 128;
    /** Blocks per multiprocessor aimed at: about eight waves of the resident blocks. */
    static final int BLOCKS_PER_MULTIPROCESSOR = 32;
    /**
     * Atoms up to which a structure's rows are split over a cluster (message_split.cu): the
     * per-column GEMMs' bound, so that every batch class (GpuCalculator.batchClass) runs one form
     * and a structure gets the same bits alone and in a batch.
     */
    static final int SPLIT_ATOMS = GemmKernel.SMALL_ROWS;
    /** Blocks per row in the split kernels (SPLIT_CLUSTER in message_split.cu). */
    static final int SPLIT_CLUSTER = 8;
    static final int[] SPLIT_K_BOUNDS = {20, 32};
    /** Threads of the tiled kernel's block: four consumer warps and eight producer warps. */
    static final int TILED_THREADS = 384;
    private final Kernel fwdAny, bwdAny, fwd0Any, bwd0Any;
    private final Kernel fwdExact, bwdExact, fwd0Exact, bwd0Exact;
    /**
     * The split kernels (null before Hopper or for K > 32), for any F and for F = 128: forward,
     * backward and their layer-0 forms split over clusters, then the same four by rows
     * (message_split.cu's _chunked_ kernels; layer 0's backward, which sums nothing over a row,
     * message.cu's own).
     */
    private final Kernel[] splitAny, splitExact;
    /**
     * message_tiled.cu's forward kernel (null before Hopper or where no kernels with F fixed
     * exist: F ≠ 128 or K outside 17..20) and its dynamic shared memory (read from the module).
     */
    private final Kernel tiledFwd;
    private final CudaContext cuda;
    private int tiledFwdBytes;
    private boolean tiledOn;
    private final boolean exact;
    private Kernel fwd, bwd, fwd0, bwd0;
    private Kernel[] split;
    private boolean splitOn = true;
    private final int block;
    private final int multiprocessors;

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
        fwdAny = new Kernel(cuda, "message", "painn_message_fwd_" + t);
        bwdAny = new Kernel(cuda, "message", "painn_message_bwd_" + t);
        fwd0Any = new Kernel(cuda, "message", "painn_message_fwd_l0_" + t);
        bwd0Any = new Kernel(cuda, "message", "painn_message_bwd_l0_" + t);
        exact = bound == EXACT_K_BOUND && f == EXACT_FEATURES;
        String e = t + "_f" + f;
        fwdExact = exact ? new Kernel(cuda, "message", "painn_message_fwd_" + e) : null;
        bwdExact = exact ? new Kernel(cuda, "message", "painn_message_bwd_" + e) : null;
        fwd0Exact = exact ? new Kernel(cuda, "message", "painn_message_fwd_l0_" + e) : null;
        bwd0Exact = exact ? new Kernel(cuda, "message", "painn_message_bwd_l0_" + e) : null;
        int splitBound = 0;
        for (int b : SPLIT_K_BOUNDS) {
            if (k <= b) {
                splitBound = b;
                break;
            }
        }
        boolean hopper = cuda.computeCapability() >= 90;
        splitAny = hopper && splitBound > 0 ? splitKernels(cuda, Real.suffix(p) + "_k" + splitBound, bwd0Any) : null;
        splitExact = hopper && exact ? splitKernels(cuda, Real.suffix(p) + "_k" + splitBound + "_f" + f, bwd0Exact)
                : null;
        tiledFwd = hopper && exact ? new Kernel(cuda, "message_tiled", "painn_message_fwd_tiled_" + e) : null;
        this.cuda = cuda;
        useExact(true);
        block = (f + 31) / 32 * 32;
        int[] sms = {0};
        cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, cuda.device);
        multiprocessors = Math.max(1, sms[0]);
    }

    /**
     * Whether the kernels compiled for this F are used where they exist (the default; off: the
     * kernels for any F, which give the same bits). Returns whether they exist.
     */
    boolean useExact(boolean on) {
        boolean use = on && exact;
        fwd = use ? fwdExact : fwdAny;
        bwd = use ? bwdExact : bwdAny;
        fwd0 = use ? fwd0Exact : fwd0Any;
        bwd0 = use ? bwd0Exact : bwd0Any;
        split = use ? splitExact : splitAny;
        return exact;
    }

    /**
     * Whether structures of more than SPLIT_ATOMS atoms take the tiled forward kernel where it
     * exists (off by default: message.cu's is faster). Both compute the same function; the tiled
     * kernel rounds the filter once from a double sum, so float32 results differ in the last
     * bits. Returns whether it exists.
     */
    boolean useTiled(boolean on) {
        tiledOn = on;
        if (on && tiledFwd != null && tiledFwdBytes == 0) {
            // its dynamic shared memory as the module defines it (sizeof(tiled::Tiles<T>)), read
            // when first asked for: the default path does not depend on the opt-in kernel
            tiledFwdBytes = cuda.constant("message_tiled", tiledFwd.name + "_shared");
            tiledFwd.attribute(CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, tiledFwdBytes);
        }
        return tiledFwd != null;
    }

    private static Kernel[] splitKernels(CudaContext cuda, String t, Kernel bwd0Rows) {
        String m = "message_split";
        return new Kernel[] {new Kernel(cuda, m, "painn_message_fwd_split_" + t),
                new Kernel(cuda, m, "painn_message_bwd_split_" + t),
                new Kernel(cuda, m, "painn_message_fwd_split_l0_" + t),
                new Kernel(cuda, m, "painn_message_bwd_split_l0_" + t),
                new Kernel(cuda, m, "painn_message_fwd_chunked_" + t),
                new Kernel(cuda, m, "painn_message_bwd_chunked_" + t),
                new Kernel(cuda, m, "painn_message_fwd_chunked_l0_" + t),
                bwd0Rows};
    }

    /**
     * Whether small structures take the split kernels where they exist (the default; off: the
     * kernels by rows at every size, for comparison). Returns whether they exist.
     */
    boolean useSplit(boolean on) {
        splitOn = on;
        return splitAny != null;
    }

    /**
     * For n atoms whose largest structure has `shape`: -1 the kernels by rows; else the offset in
     * `split` of the kernels summing by chunks: 0 split over clusters, 4 a block per row (a
     * batch of more than SPLIT_ATOMS atoms: a cluster per atom would make many waves of blocks
     * that each load the filter weights).
     */
    private int form(int n, int shape) {
        if (!splitOn || split == null || shape > SPLIT_ATOMS) {
            return -1;
        }
        return n <= SPLIT_ATOMS ? 0 : 4;
    }

    /**
     * Atoms per block: enough blocks for several waves, so that blocks that drew short rows
     * (the surface of a cluster) make room for others and the atoms in flight at once, whose
     * neighbors' rows are being gathered, stay few; enough atoms per block that the filter
     * weights are loaded rarely. Measured at 16,384 atoms: 4 per block (about eight waves)
     * beat 1 and 16. The results do not depend on it.
     */
    int atomsPerBlock(int n) {
        long slots = (long) BLOCKS_PER_MULTIPROCESSOR * multiprocessors;
        return (int) Math.max(1, (n + slots - 1) / slots);
    }

    private static int blocks(int n, int perBlock) {
        return (n + perBlock - 1) / perBlock;
    }

    /**
     * s' = s + Σ a, v' = v + Σ (b ⊗ u + c ⊙ v_j) for layer l. Layer 0 passes xRows and sRows,
     * reading row xRows[i] of x and sRows[i] of s for atom i (per-element tables through the
     * atomic numbers), and a null v (zero); later layers pass neither.
     */
    void forward(CUstream s, int n, int shape, int f, int k, NeighborBuffers nb, EdgeBuffers e, DeviceModel m,
                 int layer, DeviceBuffer x, DeviceBuffer xRows, DeviceBuffer sIn, DeviceBuffer sRows, DeviceBuffer vIn,
                 DeviceBuffer sOut, DeviceBuffer vOut) {
        boolean table = xRows != null;
        if (table != (sRows != null) || table != (vIn == null)) {
            throw new IllegalArgumentException("message forward: x and s from tables with v = 0 (layer 0), or none of them");
        }
        int form = form(n, shape);
        if (form < 0 && !table && tiledOn && tiledFwd != null && fwd == fwdExact) {
            tiledFwd.launchShared(s, multiprocessors, 1, TILED_THREADS, tiledFwdBytes, n, k, nb.rowStart, nb.center, nb.neighbor,
                    m.filterW, m.filterB, m.filterRow(layer), e.phi, e.fc, e.u, x, sIn, vIn, sOut, vOut);
            return;
        }
        int per = atomsPerBlock(n);
        Kernel kernel = form < 0 ? (table ? fwd0 : fwd) : split[form + (table ? 2 : 0)];
        int grid = form == 0 ? n * SPLIT_CLUSTER : blocks(n, per);
        kernel.launch(s, grid, 1, block, n, per, f, k, nb.rowStart, nb.neighbor, m.filterW, m.filterB,
                m.filterRow(layer), e.phi, e.fc, e.u, x, xRows, sIn, sRows, vIn, sOut, vOut);
    }

    /**
     * The layer's backward pass: ∂E/∂d and ∂E/∂u per edge (written when first, else added), and,
     * when atomGrads, ∂E/∂v (residual included) and ∂E/∂x per atom. Layer 0 passes xRows, a null
     * v and no atomGrads; later layers the opposite.
     */
    void backward(CUstream s, int n, int shape, int f, int k, NeighborBuffers nb, EdgeBuffers e, DeviceModel m,
                  int layer, DeviceBuffer x, DeviceBuffer xRows, DeviceBuffer vIn, DeviceBuffer gsMid,
                  DeviceBuffer gvMid, boolean first, boolean atomGrads, DeviceBuffer gv, DeviceBuffer gx) {
        boolean table = xRows != null;
        if (table != (vIn == null) || table == atomGrads) {
            throw new IllegalArgumentException(
                    "message backward: x from a table with v = 0 and no input adjoints (layer 0), or none of them");
        }
        int form = form(n, shape);
        int per = atomsPerBlock(n);
        Kernel kernel = form < 0 ? (table ? bwd0 : bwd) : split[form + (table ? 3 : 1)];
        int grid = form == 0 ? n * SPLIT_CLUSTER : blocks(n, per);
        kernel.launch(s, grid, 1, block, n, per, f, k, nb.rowStart, nb.neighbor, m.filterW, m.filterB,
                m.filterRow(layer), e.phi, e.dphi, e.fc, e.dfc, e.u, x, xRows, vIn, gsMid, gvMid,
                first ? 1 : 0, e.gd, e.gU, gv, gx);
    }
}
