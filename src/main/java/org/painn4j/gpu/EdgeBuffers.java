package org.painn4j.gpu;

import org.painn4j.calc.Precision;

/**
 * Per-edge features and their adjoints, for a fixed edge capacity: d [E], u [E][3], φ and φ'
 * [E][K], fc and fc' [E]; ∂E/∂d [E] and ∂E/∂u [E][3], accumulated over the layers of the
 * backward pass.
 */
final class EdgeBuffers extends BufferSet {
    final DeviceBuffer d;
    final DeviceBuffer u;
    final DeviceBuffer phi;
    final DeviceBuffer dphi;
    final DeviceBuffer fc;
    final DeviceBuffer dfc;
    final DeviceBuffer gd;
    final DeviceBuffer gU;

    EdgeBuffers(CudaContext cuda, Precision p, int edges, int k) {
        long b = (long) edges * Real.bytes(p);
        d = add(cuda, "edge distances", b);
        u = add(cuda, "edge directions", 3 * b);
        phi = add(cuda, "radial basis", k * b);
        dphi = add(cuda, "radial basis derivative", k * b);
        fc = add(cuda, "cutoff", b);
        dfc = add(cuda, "cutoff derivative", b);
        gd = add(cuda, "distance adjoint", b);
        gU = add(cuda, "direction adjoint", 3 * b);
    }
}
