package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/**
 * Layer 0's message by elements (element.cu, derivation.md §4b): per-atom radial sums by the
 * element of the neighbor, then GEMMs with per-element tables, instead of the filter formed on
 * every edge. Taken for structures on the tiled GEMMs with at most {@link #MAX_ELEMENTS}
 * elements; the CPU twin is {@code cpu.ElementMessage}.
 */
final class ElementKernels {
    /** ELEMENT_MAX in element.cu: the elements one structure (or batch) may hold on this path. */
    static final int MAX_ELEMENTS = 8;
    /** ELEMENT_WARPS: atoms (warps) per block of the sums and backward kernels. */
    static final int WARPS = 4;
    private final Kernel weights;
    private final Kernel sums;
    private final Kernel bwd;

    ElementKernels(CudaContext cuda, Precision p) {
        String t = Real.suffix(p);
        weights = new Kernel(cuda, "element", "painn_element_weights_" + t);
        sums = new Kernel(cuda, "element", "painn_element_sums_" + t);
        bwd = new Kernel(cuda, "element", "painn_element_bwd_" + t);
    }

    /** Columns of P, Q, Ma, Mb: K + 1 per element, one one-hot per element, padded to a multiple of 4. */
    static int width(int elements, int k) {
        return (elements * (k + 2) + 3) / 4 * 4;
    }

    /** Ma, Mb and their transposes for the elements in b.elements (the first `count`), layer 0's filter block. */
    void weights(CUstream s, int f, int k, int count, DeviceModel m, ElementBuffers b) {
        int width = width(count, k);
        weights.launch(s, (width * f + 255) / 256, 1, 256, f, k, count, width, b.elements, m.filterW, m.filterB,
                m.filterRow(0), m.xTable, m.embedding, b.ma, b.mb, b.maT, b.mbT);
    }

    /** P (n × L) and Q (3n × L) over the rows of the list. */
    void sums(CUstream s, int n, int k, int count, NeighborBuffers nb, EdgeBuffers e, ElementBuffers b) {
        sums.launch(s, blocks(n), 1, 32 * WARPS, n, k, count, width(count, k), nb.rowStart, nb.neighbor, b.slot,
                e.phi, e.fc, e.u, b.p, b.q);
    }

    /** ∂E/∂d and ∂E/∂u of every edge from RA and RB (written when first, else added). */
    void backward(CUstream s, int n, int k, int count, NeighborBuffers nb, EdgeBuffers e, ElementBuffers b,
                  boolean first) {
        // a thread per edge of the capacity: the count is on the device (rowStart[n])
        bwd.launch(s, Math.max(1, (nb.edgeCapacity + 255) / 256), 1, 256, n, k, count, width(count, k), nb.rowStart,
                nb.center, nb.neighbor, b.slot, e.phi, e.dphi, e.fc, e.dfc, e.u, b.ra, b.rb, first ? 1 : 0, e.gd, e.gU);
    }

    private static int blocks(int n) {
        return Math.max(1, (n + WARPS - 1) / WARPS);
    }
}
