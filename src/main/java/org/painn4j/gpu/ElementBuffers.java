package org.painn4j.gpu;

import org.painn4j.calc.Precision;

/**
 * Device memory of layer 0's message by elements, for a fixed atom capacity and at most
 * ElementKernels.MAX_ELEMENTS elements: each atom's element slot, the elements, the tables Ma
 * and Mb [L][F], the sums P [N][L] and Q [N][3][L], and their backward counterparts RA, RB.
 */
final class ElementBuffers extends BufferSet {
    final DeviceBuffer slot;
    final DeviceBuffer elements;
    final DeviceBuffer ma;
    final DeviceBuffer mb;
    final DeviceBuffer p;
    final DeviceBuffer q;
    final DeviceBuffer ra;
    final DeviceBuffer rb;

    ElementBuffers(CudaContext cuda, Precision precision, int atoms, int f, int k) {
        long width = ElementKernels.width(ElementKernels.MAX_ELEMENTS, k);
        long b = Real.bytes(precision);
        slot = add(cuda, "element slots", 4L * atoms);
        elements = add(cuda, "elements", 4L * ElementKernels.MAX_ELEMENTS);
        ma = add(cuda, "element table a", width * f * b);
        mb = add(cuda, "element table b", width * f * b);
        p = add(cuda, "element sums", atoms * width * b);
        q = add(cuda, "element vector sums", 3 * atoms * width * b);
        ra = add(cuda, "element sums adjoint", atoms * width * b);
        rb = add(cuda, "element vector sums adjoint", 3 * atoms * width * b);
    }
}
