package org.painn4j.gpu;

import java.util.List;
import org.painn4j.calc.Precision;
import org.painn4j.model.Dense;
import org.painn4j.model.PainnModel;

/**
 * Per-atom device memory for a fixed atom capacity: what the forward pass keeps for the
 * backward pass (docs/kernels.md lists it), the backward pass's scratch, and the results.
 * Layouts: s [N][F], v [N][3][F], x and y [N][3F], VU [N][3][2F]. Layer 0 needs no s, v, h or x
 * of its own (per-element tables, v = 0), and no adjoint of them: those entries are null.
 */
final class AtomBuffers extends BufferSet {
    final int capacity;
    // forward, per layer l (s and v have L+1: the input of layer l, and the final one)
    final DeviceBuffer[] s;
    final DeviceBuffer[] v;
    final DeviceBuffer[] hPre;
    final DeviceBuffer[] x;
    final DeviceBuffer[] sMid;
    final DeviceBuffer[] vMid;
    final DeviceBuffer[] vu;
    final DeviceBuffer[] norm;
    final DeviceBuffer[] dot;
    final DeviceBuffer[] a3;
    final DeviceBuffer[] y;
    final DeviceBuffer ctx;
    /**
     * Scratch: silu of a hidden layer's output [N][width], stored by its producer for the next
     * layer (context net, mixing, readout); a second one only for a readout of two hidden layers
     * or more, so that each of its layers can read one and write the other.
     */
    final DeviceBuffer[] hidden;
    /** Readout: pre-activations of the hidden layers, and the last layer's output [N]. */
    final DeviceBuffer[] outPre;
    final DeviceBuffer yOut;
    // backward: adjoints of s and v at every layer boundary, kept for inspection
    final DeviceBuffer[] gs;
    final DeviceBuffer[] gv;
    final DeviceBuffer[] gsMid;
    final DeviceBuffer[] gvMid;
    final DeviceBuffer gx;
    final DeviceBuffer gh;
    final DeviceBuffer gy;
    final DeviceBuffer gctx;
    final DeviceBuffer gvu;
    final DeviceBuffer[] gRead;
    /** ȳ = 1 for every atom: the seed of the backward pass, filled once. */
    final DeviceBuffer seed;
    final DeviceBuffer forcePartial;
    /**
     * One buffer read back in one copy: energy, virial [9] (float64), the neighbor list's status
     * (16 bytes, copied there by the readout), energies [capacity], forces [N][3] (float64).
     */
    final DeviceBuffer results;
    final DeviceBuffer energy;
    final DeviceBuffer virial;
    final DeviceBuffer listStatus;
    final DeviceBuffer energies;
    final DeviceBuffer forces;
    static final long RESULTS_HEADER = 96;
    /** Where the neighbor list's status lies in the results. */
    static final long STATUS_AT = 80;

    AtomBuffers(CudaContext cuda, Precision p, PainnModel model, int capacity) {
        this.capacity = capacity;
        int f = model.config.nAtomBasis();
        int layers = model.config.nInteractions();
        long r = (long) capacity * Real.bytes(p);
        s = new DeviceBuffer[layers + 1];
        v = new DeviceBuffer[layers + 1];
        gs = new DeviceBuffer[layers + 1];
        gv = new DeviceBuffer[layers + 1];
        hPre = new DeviceBuffer[layers];
        x = new DeviceBuffer[layers];
        sMid = new DeviceBuffer[layers];
        vMid = new DeviceBuffer[layers];
        vu = new DeviceBuffer[layers];
        norm = new DeviceBuffer[layers];
        dot = new DeviceBuffer[layers];
        a3 = new DeviceBuffer[layers];
        y = new DeviceBuffer[layers];
        gsMid = new DeviceBuffer[layers];
        gvMid = new DeviceBuffer[layers];
        for (int l = 1; l <= layers; l++) {
            s[l] = add(cuda, "scalar features", r * f);
            v[l] = add(cuda, "vector features", r * 3 * f);
            gs[l] = add(cuda, "scalar adjoint", r * f);
            gv[l] = add(cuda, "vector adjoint", r * 3 * f);
        }
        for (int l = 0; l < layers; l++) {
            if (l > 0) {
                hPre[l] = add(cuda, "context pre-activation", r * f);
                x[l] = add(cuda, "context features", r * 3 * f);
            }
            sMid[l] = add(cuda, "scalar features after interaction", r * f);
            vMid[l] = add(cuda, "vector features after interaction", r * 3 * f);
            vu[l] = add(cuda, "channel mix", r * 6 * f);
            norm[l] = add(cuda, "vector norms", r * f);
            dot[l] = add(cuda, "V·U", r * f);
            a3[l] = add(cuda, "mixing pre-activation", r * f);
            y[l] = add(cuda, "mixing outputs", r * 3 * f);
            gsMid[l] = add(cuda, "scalar adjoint after interaction", r * f);
            gvMid[l] = add(cuda, "vector adjoint after interaction", r * 3 * f);
        }
        ctx = add(cuda, "mixing context", r * 2 * f);
        Dense[] out = model.outnet;
        int width = f;
        for (int i = 0; i < out.length - 1; i++) {
            width = Math.max(width, out[i].out());
        }
        hidden = new DeviceBuffer[out.length > 2 ? 2 : 1];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = add(cuda, "activated hidden features", r * width);
        }
        outPre = new DeviceBuffer[out.length - 1];
        gRead = new DeviceBuffer[out.length - 1];
        for (int i = 0; i < out.length - 1; i++) {
            outPre[i] = add(cuda, "readout pre-activation", r * out[i].out());
            gRead[i] = add(cuda, "readout adjoint", r * out[i].out());
        }
        yOut = add(cuda, "readout output", r);
        gx = add(cuda, "context adjoint", r * 3 * f);
        gh = add(cuda, "hidden adjoint", r * f);
        gy = add(cuda, "mixing output adjoint", r * 3 * f);
        gctx = add(cuda, "mixing context adjoint", r * 2 * f);
        gvu = add(cuda, "channel mix adjoint", r * 6 * f);
        double[] ones = new double[capacity];
        java.util.Arrays.fill(ones, 1.0);
        seed = keep(Real.upload(cuda, p, "energy adjoint", ones));
        forcePartial = add(cuda, "virial partial sums", 72L * RadialKernels.forceBlocks(capacity));
        results = add(cuda, "results", RESULTS_HEADER + 32L * capacity);
        energy = results.slice("energy", 0, 8);
        virial = results.slice("virial", 8, 72);
        listStatus = results.slice("neighbor status", STATUS_AT, 16);
        energies = results.slice("atomic energies", RESULTS_HEADER, 8L * capacity);
        forces = results.slice("forces", RESULTS_HEADER + 8L * capacity, 24L * capacity);
    }

    /** Every buffer that an evaluation writes, for poisoning before a checked run. */
    List<DeviceBuffer> all() {
        return all.stream().filter(b -> b != seed).toList();
    }
}
