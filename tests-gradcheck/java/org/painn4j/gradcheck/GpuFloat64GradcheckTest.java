package org.painn4j.gradcheck;

import org.junit.jupiter.api.Tag;

@Tag("gpu")
class GpuFloat64GradcheckTest extends GradcheckSuite {
    @Override
    protected Engine engine() {
        return GpuEngines.require(GpuEngines.FLOAT64);
    }
}
