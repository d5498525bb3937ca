package org.painn4j.gradcheck;

import org.junit.jupiter.api.Tag;

@Tag("gpu")
class GpuFloat64InvarianceTest extends InvarianceSuite {
    @Override
    protected Engine engine() {
        return GpuEngines.require(GpuEngines.FLOAT64);
    }
}
