package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.painn4j.calc.Precision;
import org.painn4j.calc.Result;
import org.painn4j.md.Masses;
import org.painn4j.md.MaxwellBoltzmann;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomStructures;
import org.painn4j.testing.TestWeights;

/**
 * Programmatic dependent launch changes when kernels start, never what they compute: the same
 * bits with it and without, for evaluations (alone, replayed, in batches) and MD steps.
 */
@Tag("gpu")
class DependentLaunchTest {
    @AfterEach
    void restore() {
        DependentLaunch.enable(true);
    }

    private static void assumeHopperWithTheLinker() {
        GpuTests.assumeGpu();
        Assumptions.assumeTrue(CudaContext.shared().computeCapability() >= 90, "needs Hopper or newer");
        Assumptions.assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.foreign").isPresent(),
                "the JVM was started without " + DependentLaunch.JVM_OPTIONS);
    }

    @Test
    void isOnOnHopperWhenTheJvmHasTheForeignLinker() {
        assumeHopperWithTheLinker();
        assertNull(DependentLaunch.whyNot());
        assertEquals(true, CudaContext.shared().dependentLaunch());
    }

    @Test
    void evaluationsGiveTheSameBitsWithAndWithoutIt() {
        assumeHopperWithTheLinker();
        PainnModel model = TestWeights.testRandom();
        Structure[] structures = {RandomStructures.cluster(21, 0.08, 5), RandomStructures.periodic(300,
                new double[] {15, 0, 0, 0, 15, 0, 0, 0, 15}, new boolean[] {true, true, true}, 6)};
        for (Structure s : structures) {
            for (Precision p : Precision.values()) {
                DependentLaunch.enable(false);
                try (GpuCalculator plain = new GpuCalculator(model, p)) {
                    DependentLaunch.enable(true);
                    try (GpuCalculator dependent = new GpuCalculator(model, p)) {
                        plain.setPoison(true);
                        dependent.setPoison(true);
                        Result a = plain.compute(s);
                        Result b = dependent.compute(s);
                        Result c = dependent.compute(s);
                        String what = p.label() + ", " + s.size() + " atoms";
                        assertArrayEquals(a.forces(), b.forces(), 0.0, what + ": forces");
                        assertArrayEquals(a.forces(), c.forces(), 0.0, what + ": forces, replayed");
                        assertArrayEquals(a.energies(), c.energies(), 0.0, what + ": energies");
                        if (a.stress() != null) {
                            assertArrayEquals(a.stress(), c.stress(), 0.0, what + ": stress");
                        }
                        List<Result> batch = dependent.compute(List.of(structures[0], s));
                        assertArrayEquals(a.forces(), batch.get(1).forces(), 0.0, what + ": forces in a batch");
                    }
                }
            }
        }
    }

    @Test
    void mdStepsGiveTheSameBitsWithAndWithoutIt() {
        assumeHopperWithTheLinker();
        PainnModel model = TestWeights.testRandom();
        Structure s = RandomStructures.cluster(21, 0.08, 9);
        double[] masses = Masses.of(s.numbers());
        double[] momenta = MaxwellBoltzmann.momenta(masses, 600, 3);
        DeviceDynamics.Settings langevin = new DeviceDynamics.Settings(true, 0.5 * 0.09822694788464063, 0.99, 0.1);
        DeviceDynamics.State[] end = new DeviceDynamics.State[2];
        for (int run = 0; run < 2; run++) {
            DependentLaunch.enable(run == 1);
            try (GpuCalculator calc = new GpuCalculator(model, Precision.FLOAT32);
                 DeviceDynamics md = new DeviceDynamics(calc, List.of(new DeviceDynamics.Replica(s, masses, momenta,
                         null, 0, 7)), 0, langevin)) {
                md.advance(200);
                end[run] = md.state(0);
            }
        }
        assertArrayEquals(end[0].positions(), end[1].positions(), 0.0, "positions after 200 Langevin steps");
        assertArrayEquals(end[0].momenta(), end[1].momenta(), 0.0, "momenta after 200 Langevin steps");
        assertArrayEquals(end[0].forces(), end[1].forces(), 0.0, "forces after 200 Langevin steps");
    }
}
