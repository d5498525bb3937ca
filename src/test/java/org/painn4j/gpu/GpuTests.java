package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.painn4j.calc.Precision;

/** Shared by the GPU tests: skip without a device, check every launch, compare tensors. */
public final class GpuTests {
    private GpuTests() {
    }

    /**
     * Skips the calling test where no CUDA device is present; turns launch checking on. With
     * {@code -Dpainn4j.requireGpu=true} (runs on the GPU machine) a missing device fails the test
     * instead, so that a device that did not come up cannot pass as a suite of skips.
     */
    public static void assumeGpu() {
        if (Boolean.getBoolean("painn4j.requireGpu")) {
            assertTrue(Gpu.available(), () -> "painn4j.requireGpu is set and there is no CUDA device: "
                    + Gpu.unavailableReason());
        }
        Assumptions.assumeTrue(Gpu.available(), () -> "no CUDA device: " + Gpu.unavailableReason());
        Kernel.check = true;
    }

    /** The relative error each precision must meet against the float64 CPU twin. */
    static double tolerance(Precision p) {
        return p == Precision.FLOAT64 ? 1e-10 : 1e-5;
    }

    /** max|gpu − cpu| / max|cpu|: NaN anywhere (an unwritten, poisoned value) fails. */
    static double relativeError(double[] gpu, double[] cpu) {
        assertEquals(cpu.length, gpu.length, "tensor length");
        double scale = 0;
        double err = 0;
        for (int i = 0; i < cpu.length; i++) {
            scale = Math.max(scale, Math.abs(cpu[i]));
            double d = Math.abs(gpu[i] - cpu[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            err = Math.max(err, d);
        }
        return scale == 0 ? err : err / scale;
    }

    static void assertClose(String what, double[] gpu, double[] cpu, double tolerance) {
        double err = relativeError(gpu, cpu);
        assertTrue(err <= tolerance, what + ": relative error " + err + " > " + tolerance);
    }
}
