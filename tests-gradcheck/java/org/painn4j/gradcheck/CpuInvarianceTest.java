package org.painn4j.gradcheck;

class CpuInvarianceTest extends InvarianceSuite {
    @Override
    protected Engine engine() {
        return CpuGradcheckTest.CPU;
    }
}
