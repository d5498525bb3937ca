package org.painn4j.gradcheck;

class CpuReferenceTest extends ReferenceSuite {
    @Override
    protected Engine engine() {
        return CpuGradcheckTest.CPU;
    }
}
