package org.painn4j.gpu;

import org.painn4j.calc.Precision;

/**
 * Device memory of layer 0's message by elements, for a fixed atom capacity and a width of at
 * most `width` columns (ElementKernels.width of the elements held): each atom's element slot,
 * the elements, the tables Ma and Mb [L][F] and their transposes [F][L], the sums P [N][L] and
 * Q [N][3][L], and their backward counterparts RA, RB.
 */
final class ElementBuffers extends BufferSet {
    final DeviceBuffer slot;
    final DeviceBuffer elements;
    final DeviceBuffer ma;
    final DeviceBuffer mb;
    final DeviceBuffer maT;
    final DeviceBuffer mbT;
    final DeviceBuffer p;
    final DeviceBuffer q;
    final DeviceBuffer ra;
    final DeviceBuffer rb;
    final int width;

    ElementBuffers(CudaContext cuda, Precision precision, int atoms, int f, int width) {
        this.width = width;
        long b = Real.bytes(precision);
        slot = add(cuda, "element slots", 4L * atoms);
        elements = add(cuda, "elements", 4L * ElementKernels.MAX_ELEMENTS);
        long w = width;
        ma = add(cuda, "element table a", w * f * b);
        mb = add(cuda, "element table b", w * f * b);
        maT = add(cuda, "element table a, transposed", w * f * b);
        mbT = add(cuda, "element table b, transposed", w * f * b);
        p = add(cuda, "element sums", atoms * w * b);
        q = add(cuda, "element vector sums", 3 * atoms * w * b);
        ra = add(cuda, "element sums adjoint", atoms * w * b);
        rb = add(cuda, "element vector sums adjoint", 3 * atoms * w * b);
    }
}
