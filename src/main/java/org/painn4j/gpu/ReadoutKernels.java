package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/** Embedding, per-atom energies with their shifts, the float64 energy sum (readout.cu). */
final class ReadoutKernels {
    private static final int THREADS = 256;
    private final Kernel embed;
    private final Kernel fwd;
    private final Kernel bwd;
    private final Kernel sum;

    ReadoutKernels(CudaContext cuda, Precision p) {
        String t = Real.suffix(p);
        embed = new Kernel(cuda, "readout", "painn_embed_" + t);
        fwd = new Kernel(cuda, "readout", "painn_readout_fwd_" + t);
        bwd = new Kernel(cuda, "readout", "painn_readout_bwd_" + t);
        sum = new Kernel(cuda, "readout", "painn_energy_sum");
    }

    void embed(CUstream s, int n, int f, DeviceBuffer numbers, DeviceBuffer table, DeviceBuffer out) {
        embed.launch(s, blocks(n * f), 1, THREADS, n, f, numbers, table, out);
    }

    /** energies_i = y_i + shift[Z_i] (float64), then E = Σ energies_i in a fixed order. */
    void energies(CUstream s, int n, DeviceBuffer numbers, DeviceBuffer y, DeviceBuffer shift, DeviceBuffer energies,
                  DeviceBuffer total) {
        fwd.launch(s, blocks(n), 1, THREADS, n, numbers, y, shift, energies);
        sum.launch(s, 1, 1, 1024, n, energies, total);
    }

    /** ȳ_i = 1, the seed of the backward pass. */
    void seed(CUstream s, int n, DeviceBuffer gy) {
        bwd.launch(s, blocks(n), 1, THREADS, n, gy);
    }

    private static int blocks(int count) {
        return (count + THREADS - 1) / THREADS;
    }
}
