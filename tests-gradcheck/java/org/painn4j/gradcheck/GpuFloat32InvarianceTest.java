package org.painn4j.gradcheck;

import org.junit.jupiter.api.Tag;

@Tag("gpu")
class GpuFloat32InvarianceTest extends InvarianceSuite {
    @Override
    protected Engine engine() {
        return GpuEngines.require(GpuEngines.FLOAT32);
    }
}
