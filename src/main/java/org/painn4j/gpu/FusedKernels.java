package org.painn4j.gpu;

import java.util.Arrays;
import java.util.List;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;
import org.painn4j.model.Dense;
import org.painn4j.model.PainnModel;
import org.painn4j.model.RadialBasis;

/**
 * The whole evaluation of one small structure after its neighbor list — edge features, forward
 * pass, readout, backward pass, forces, virial — as one kernel on one cluster of thread blocks
 * (fused.cu, Hopper and newer). It writes the same tensors as the kernel-by-kernel path, into the
 * same buffers, so everything downstream (results, {@code tensors()}, the tests) is unchanged.
 *
 * <p>The kernel reads its buffers through a table of device addresses, uploaded whenever the
 * calculator's buffers are reallocated ({@link #bind}).
 */
final class FusedKernels implements AutoCloseable {
    static final int THREADS = 512;
    static final int MAX_LAYERS = 8;
    private static final int HEAD_FIELDS = 45;
    private static final int LAYER_FIELDS = 24;
    /** Dynamic shared memory per block: dense-layer staging and edge chunks. */
    private static final int SHARED_BYTES = 200 * 1024;
    static final int MARKS = 64;

    private final PainnModel model;
    private final Precision precision;
    private final int clusterSize;
    private final Kernel kernel;
    private final DeviceBuffer table;
    /** Block 0's clock at each phase boundary of the last evaluation (FusedPhaseProbe). */
    final DeviceBuffer marks;
    private DeviceBuffer gdPart;
    private DeviceBuffer gUPart;
    private int edgeCapacity;

    /** Whether this device and this model can use the fused kernel at all. */
    static boolean available(CudaContext cuda, PainnModel model) {
        Dense[] out = model.outnet;
        int f = model.config.nAtomBasis();
        return cuda.computeCapability() >= 90 && model.config.nInteractions() <= MAX_LAYERS && out.length == 2
                && out[1].out() == 1 && f >= clusterSize(f);
    }

    /** Sixteen blocks when there are features enough to share out; eight (the portable size) below. */
    private static int clusterSize(int f) {
        return f >= 64 ? 16 : 8;
    }

    FusedKernels(CudaContext cuda, PainnModel model, Precision precision) {
        this.model = model;
        this.precision = precision;
        this.clusterSize = clusterSize(model.config.nAtomBasis());
        this.kernel = new Kernel(cuda, "fused", "painn_fused_" + Real.suffix(precision) + "_c" + clusterSize);
        kernel.attribute(CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, SHARED_BYTES);
        if (clusterSize > 8) {
            kernel.attribute(CUfunction_attribute.CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1);
        }
        this.table = new DeviceBuffer(cuda, "fused kernel pointer table", 8L * (HEAD_FIELDS + MAX_LAYERS * LAYER_FIELDS));
        this.marks = new DeviceBuffer(cuda, "fused kernel phase clocks", 8L * MARKS);
    }

    /**
     * Whether n atoms with a list of edgeCapacity edges fit: one message item (atom, feature)
     * per thread, an edge chunk in shared memory, and ∂E/∂r of every edge (3 doubles and its reverse index) at the end.
     */
    boolean accepts(int n, int edgeCapacity) {
        int f = model.config.nAtomBasis();
        int k = model.config.nRbf();
        int fs = (f + clusterSize - 1) / clusterSize;
        long fixed = (long) n * 10 * fs + 3L * fs * (k + 1);
        return n >= 1 && (long) n * fs <= THREADS && fixed + 32L * (2 * k + 10 * fs + 7) <= sharedElements()
                && fitsEdges(edgeCapacity);
    }

    private static boolean fitsEdges(int edgeCapacity) {
        return 28L * edgeCapacity <= SHARED_BYTES;
    }

    private int sharedElements() {
        return SHARED_BYTES / Real.bytes(precision);
    }

    long bytes() {
        return table.bytes() + marks.bytes() + (gdPart == null ? 0 : gdPart.bytes() + gUPart.bytes());
    }

    /** Points the kernel at the calculator's current buffers; call after every reallocation. */
    void bind(CudaContext cuda, DeviceModel w, NeighborBuffers list, EdgeBuffers edges, AtomBuffers a) {
        if (edgeCapacity != list.edgeCapacity) {
            if (gdPart != null) {
                gdPart.close();
                gUPart.close();
                gdPart = null;
                gUPart = null;
            }
            edgeCapacity = list.edgeCapacity;
            // Only lists this path can take get the per-block shares: at 16,384 atoms they would cost 0.3 GB.
            if (fitsEdges(edgeCapacity)) {
                long r = (long) Real.bytes(precision) * clusterSize * edgeCapacity;
                gdPart = new DeviceBuffer(cuda, "per-block shares of dE/dd", r);
                gUPart = new DeviceBuffer(cuda, "per-block shares of dE/du", 3 * r);
            }
        }
        int layers = model.config.nInteractions();
        List<DeviceBuffer> head = Arrays.asList(list.lattice, list.numbers, list.rowStart,
                list.center, list.neighbor, list.image, list.reverse,
                edges.d, edges.u, edges.phi, edges.dphi, edges.fc, edges.dfc, edges.gd, edges.gU, gdPart, gUPart,
                w.embedding, w.mu, w.sigma, w.filterW, w.filterB, w.xTable, w.shift,
                w.outW[0], w.outB[0], w.outW[1], w.outB[1],
                a.outPre[0], a.yOut, a.gRead[0],
                a.s[layers], a.v[layers], a.gs[layers],
                a.ctx, a.gy, a.gh, a.gctx, a.gvu, a.gx,
                a.energy, a.virial, a.energies, a.forces, marks);
        if (head.size() != HEAD_FIELDS) {
            throw new IllegalStateException("fused table: " + head.size() + " head fields");
        }
        long[] t = new long[HEAD_FIELDS + MAX_LAYERS * LAYER_FIELDS];
        for (int i = 0; i < HEAD_FIELDS; i++) {
            t[i] = address(head.get(i));
        }
        for (int l = 0; l < layers; l++) {
            DeviceBuffer[] f = {w.c1w[l], w.c1b[l], w.c2w[l], w.c2b[l], w.mixW[l], w.m1w[l], w.m1b[l], w.m2w[l], w.m2b[l],
                a.s[l], a.v[l], a.hPre[l], a.x[l], a.sMid[l], a.vMid[l], a.vu[l], a.norm[l], a.dot[l], a.a3[l], a.y[l],
                a.gs[l], a.gv[l], a.gsMid[l], a.gvMid[l]};
            for (int i = 0; i < LAYER_FIELDS; i++) {
                t[HEAD_FIELDS + l * LAYER_FIELDS + i] = address(f[i]);
            }
        }
        table.upload(t);
    }

    private static long address(DeviceBuffer b) {
        return b == null ? 0 : b.address();
    }

    /** The evaluation of the n atoms whose list is in place (list.status holds no overflow). */
    void launch(CUstream s, int n, DeviceBuffer pos) {
        int layers = model.config.nInteractions();
        int basis = model.config.radialBasis() == RadialBasis.GAUSSIAN ? 0 : 1;
        kernel.launchShared(s, clusterSize, 1, THREADS, SHARED_BYTES, table, pos, n, model.config.nAtomBasis(),
                model.config.nRbf(), layers, model.outnet[0].out(), basis, model.config.sharedFilters() ? 1 : 0,
                edgeCapacity, sharedElements(), model.config.cutoff(), model.config.epsilon());
    }

    @Override
    public void close() {
        table.close();
        marks.close();
        if (gdPart != null) {
            gdPart.close();
            gUPart.close();
        }
    }
}
