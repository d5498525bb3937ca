package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/** Per-atom energies with their shifts and the float64 energy sum (readout.cu). */
final class ReadoutKernels {
    private final Kernel fwd;

    ReadoutKernels(CudaContext cuda, Precision p) {
        fwd = new Kernel(cuda, "readout", "painn_readout_fwd_" + Real.suffix(p));
    }

    /**
     * energies_i = y_i + shift[Z_i] (float64), and E = Σ energies_i in a fixed order; the
     * neighbor list's status (16 bytes) copied from statusIn to statusOut.
     */
    void energies(CUstream s, int n, DeviceBuffer numbers, DeviceBuffer y, DeviceBuffer shift, DeviceBuffer energies,
                  DeviceBuffer total, DeviceBuffer statusIn, DeviceBuffer statusOut) {
        fwd.launch(s, 1, 1, 1024, n, null, numbers, y, shift, energies, total, statusIn, statusOut);
    }

    /** The same for a batch: E of structure b, over its own atoms in its own order, into batch.energies[b]. */
    void energies(CUstream s, int n, BatchBuffers batch, DeviceBuffer numbers, DeviceBuffer y, DeviceBuffer shift,
                  DeviceBuffer energies) {
        fwd.launch(s, batch.structures(), 1, 1024, n, batch.atomStart, numbers, y, shift, energies, batch.energies,
                null, null);
    }
}
