package org.painn4j.gradcheck;

import org.painn4j.calc.Precision;
import org.painn4j.gpu.GpuCalculator;
import org.painn4j.gpu.GpuTests;

/** The GPU engines under test; their suites skip themselves where no CUDA device is present. */
final class GpuEngines {
    static final Engine FLOAT64 = new Engine("gpu float64", m -> new GpuCalculator(m, Precision.FLOAT64),
            1e-6, 1e-6, 1e-12, 1e-12, 1e-10);
    static final Engine FLOAT32 = new Engine("gpu float32", m -> new GpuCalculator(m, Precision.FLOAT32),
            1e-4, 1e-4, 1e-4, 1e-5, 1e-5);

    private GpuEngines() {
    }

    static Engine require(Engine e) {
        GpuTests.assumeGpu();
        return e;
    }
}
