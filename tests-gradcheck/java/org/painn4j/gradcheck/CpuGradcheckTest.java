package org.painn4j.gradcheck;

import org.painn4j.cpu.CpuCalculator;

class CpuGradcheckTest extends GradcheckSuite {
    static final Engine CPU = new Engine("cpu float64", CpuCalculator::new, 1e-6, 1e-6, 1e-12, 1e-12, 1e-10);

    @Override
    protected Engine engine() {
        return CPU;
    }
}
