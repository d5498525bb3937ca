package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.painn4j.InputException;
import org.painn4j.calc.Precision;
import org.painn4j.gpu.GpuCalculator;
import org.painn4j.gpu.GpuTests;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.NeighborList;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomStructures;
import org.painn4j.testing.TestWeights;

/**
 * The device-resident engine against the Java integrators driving the same GPU calculator: the
 * same forces (the same kernels on the same list) and the same float64 arithmetic, so velocity
 * Verlet agrees bit for bit, also through many Verlet-list rebuilds in a hot periodic system;
 * restarts repeat uninterrupted runs; bad starts are refused.
 */
@Tag("gpu")
class GpuMdEngineTest {

    @BeforeAll
    static void gpu() {
        GpuTests.assumeGpu();
    }

    /** A molecule (single-block list every step) or 200 atoms in a periodic box (Verlet list). */
    static Structure structure(String kind) {
        if (kind.equals("molecule")) {
            return MdFixtures.ethanol();
        }
        double a = Math.cbrt(200 / 0.08);
        return RandomStructures.periodic(200, new double[] {a, 0, 0, 0.1 * a, a, 0, 0, 0, a},
                new boolean[] {true, true, true}, 12);
    }

    static MdState start(Structure s, double temperature, long seed) {
        double[] m = Masses.of(s.numbers());
        return new MdState(0, s, m, MaxwellBoltzmann.momenta(m, temperature, seed), null, 0.0, seed);
    }

    @ParameterizedTest
    @ValueSource(strings = {"molecule", "periodic"})
    void velocityVerletMatchesTheJavaIntegratorsBitForBit(String kind) {
        PainnModel model = TestWeights.testRandom();
        Structure s = structure(kind);
        MdSettings nve = new MdSettings(0.5, Thermostat.NONE, 0, 0);
        try (GpuCalculator forJava = new GpuCalculator(model, Precision.FLOAT64);
             GpuCalculator forDevice = new GpuCalculator(model, Precision.FLOAT64)) {
            CpuMdEngine java = new CpuMdEngine(forJava, nve, List.of(start(s, 1500, 3)));
            try (GpuMdEngine device = new GpuMdEngine(forDevice, () -> null, nve, List.of(start(s, 1500, 3)))) {
                for (int block = 0; block < 4; block++) {
                    java.advance(50);
                    device.advance(50);
                    MdState a = java.state(0);
                    MdState b = device.state(0);
                    assertEquals(a.step(), b.step());
                    assertArrayEquals(a.structure().positions(), b.structure().positions(), 0.0, kind + " positions");
                    assertArrayEquals(a.momenta(), b.momenta(), 0.0, kind + " momenta");
                    assertArrayEquals(a.forces(), b.forces(), 0.0, kind + " forces");
                    assertEquals(a.energy(), b.energy(), 0.0, kind + " energy");
                }
                // the exact list the device used is what a fresh search of the final positions gives
                Structure last = device.state(0).structure();
                assertEquals(NeighborList.build(last, model.config.cutoff()).edges(),
                        forJava.compute(last).edges());
            }
        }
    }

    /**
     * Masses other than the table's (every hydrogen a deuterium) reach the device's integrator:
     * velocity Verlet still agrees with the Java integrators bit for bit, and the momenta differ
     * from a run with the table's masses.
     */
    @Test
    void inputMassesReachTheDevice() {
        PainnModel model = TestWeights.testRandom();
        Structure s = MdFixtures.ethanol();
        double[] m = Masses.of(s.numbers());
        for (int i = 0; i < m.length; i++) {
            m[i] = s.number(i) == 1 ? 2.014 : m[i];
        }
        double[] p = MaxwellBoltzmann.momenta(m, 600, 4);
        MdSettings nve = MdSettings.nve(0.5);
        try (GpuCalculator forJava = new GpuCalculator(model, Precision.FLOAT64);
             GpuCalculator forDevice = new GpuCalculator(model, Precision.FLOAT64);
             GpuCalculator forTable = new GpuCalculator(model, Precision.FLOAT64)) {
            CpuMdEngine java = new CpuMdEngine(forJava, nve, List.of(MdState.start(s, m, p, 4)));
            try (GpuMdEngine device = new GpuMdEngine(forDevice, () -> null, nve, List.of(MdState.start(s, m, p, 4)));
                 GpuMdEngine table = new GpuMdEngine(forTable, () -> null, nve,
                         List.of(MdState.start(s, Masses.of(s.numbers()), p, 4)))) {
                java.advance(60);
                device.advance(60);
                table.advance(60);
                MdState a = java.state(0);
                MdState b = device.state(0);
                assertArrayEquals(m, b.masses(), 0.0);
                assertArrayEquals(a.structure().positions(), b.structure().positions(), 0.0, "positions");
                assertArrayEquals(a.momenta(), b.momenta(), 0.0, "momenta");
                assertTrue(table.state(0).momenta()[9] != b.momenta()[9], "the table's masses move the atoms otherwise");
            }
        }
    }

    /**
     * NVE with float32 forces on the device, under the bounds of the float64 CPU test
     * (VelocityVerletTest, docs/md.md): float32 rounding of the forces, relative 1e-7, is far
     * below the integrator's own error at 0.5 fs.
     */
    @Test
    void float32EnergyIsConservedOnTheDevice() {
        Structure s = MdFixtures.ethanol();
        double[] m = Masses.of(s.numbers());
        EnergyFit fit = new EnergyFit();
        try (GpuCalculator calc = new GpuCalculator(MdFixtures.smallModel(), Precision.FLOAT32);
             GpuMdEngine md = new GpuMdEngine(calc, () -> null, MdSettings.nve(0.5),
                     List.of(MdState.start(s, m, MaxwellBoltzmann.momenta(m, 300, 1), 1)))) {
            for (int i = 0; i <= 1000; i++) {
                if (i > 0) {
                    md.advance(1);
                }
                MdState st = md.state(0);
                fit.add(st.step() * 0.5e-3, st.totalEnergy());
            }
        }
        double drift = fit.slope() * 1000 / s.size();
        double fluctuation = fit.fluctuation() * 1000 / s.size();
        double excursion = fit.maxDeviation() * 1000 / s.size();
        System.out.printf("NVE ethanol on the GPU, float32, small model, dt 0.5 fs, 1000 steps: drift %.4f meV/atom/ps, "
                + "fluctuation %.4f meV/atom, largest excursion %.4f meV/atom%n", drift, fluctuation, excursion);
        assertTrue(Math.abs(drift) < 0.1, "drift " + drift + " meV/atom/ps");
        assertTrue(fluctuation < 0.02, "fluctuation " + fluctuation + " meV/atom");
        assertTrue(excursion < 0.1, "excursion " + excursion + " meV/atom");
    }

    @Test
    void langevinFollowsTheJavaIntegratorsToRounding() {
        PainnModel model = TestWeights.testRandom();
        Structure s = structure("periodic");
        MdSettings bath = new MdSettings(0.5, Thermostat.LANGEVIN, 600, 0.05);
        try (GpuCalculator forJava = new GpuCalculator(model, Precision.FLOAT64);
             GpuCalculator forDevice = new GpuCalculator(model, Precision.FLOAT64)) {
            CpuMdEngine java = new CpuMdEngine(forJava, bath, List.of(start(s, 600, 5)));
            try (GpuMdEngine device = new GpuMdEngine(forDevice, () -> null, bath, List.of(start(s, 600, 5)))) {
                java.advance(20);
                device.advance(20);
                double[] a = java.state(0).structure().positions();
                double[] b = device.state(0).structure().positions();
                double worst = 0;
                for (int i = 0; i < a.length; i++) {
                    worst = Math.max(worst, Math.abs(a[i] - b[i]));
                }
                // the noise's log, sin and cos may differ in the last bit between the JVM and CUDA
                assertTrue(worst < 1e-9, "positions differ by " + worst + " Å");
                assertTrue(java.state(0).momenta()[0] != 0);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "langevin"})
    void aRestartFromTheStateRepeatsTheUninterruptedRun(String thermostat) {
        PainnModel model = TestWeights.testRandom();
        Structure s = structure("periodic");
        MdSettings settings = thermostat.equals("none") ? new MdSettings(0.5, Thermostat.NONE, 0, 0)
                : new MdSettings(0.5, Thermostat.LANGEVIN, 800, 0.02);
        try (GpuCalculator one = new GpuCalculator(model, Precision.FLOAT32);
             GpuCalculator two = new GpuCalculator(model, Precision.FLOAT32)) {
            MdState whole;
            try (GpuMdEngine e = new GpuMdEngine(one, () -> null, settings, List.of(start(s, 800, 9)))) {
                e.advance(60);
                whole = e.state(0);
            }
            MdState half;
            try (GpuMdEngine e = new GpuMdEngine(two, () -> null, settings, List.of(start(s, 800, 9)))) {
                e.advance(30);
                half = e.state(0);
            }
            try (GpuMdEngine e = new GpuMdEngine(two, () -> null, settings, List.of(half))) {
                e.advance(30);
                MdState resumed = e.state(0);
                assertEquals(whole.step(), resumed.step());
                assertArrayEquals(whole.structure().positions(), resumed.structure().positions(), 0.0);
                assertArrayEquals(whole.momenta(), resumed.momenta(), 0.0);
            }
        }
    }

    @Test
    void coincidentAtomsAreRefusedAtTheStart() {
        Structure s = Structure.molecule(new int[] {6, 8, 1}, new double[] {0, 0, 0, 1.2, 0, 0, 1.2, 0, 0});
        try (GpuCalculator calc = new GpuCalculator(TestWeights.testRandom(), Precision.FLOAT32)) {
            InputException e = assertThrows(InputException.class, () ->
                    new GpuMdEngine(calc, () -> null, new MdSettings(0.5, Thermostat.NONE, 0, 0), List.of(start(s, 300, 1))));
            assertTrue(e.getMessage().contains("atoms 1 and 2"), e.getMessage());
        }
    }

    @Test
    void replicasRunIndependently() {
        PainnModel model = TestWeights.testRandom();
        Structure s = MdFixtures.ethanol();
        MdSettings bath = new MdSettings(0.5, Thermostat.LANGEVIN, 300, 0.01);
        try (GpuCalculator calc = new GpuCalculator(model, Precision.FLOAT32);
             GpuCalculator single = new GpuCalculator(model, Precision.FLOAT32)) {
            try (GpuMdEngine both = new GpuMdEngine(calc, () -> new GpuCalculator(model, Precision.FLOAT32), bath,
                    List.of(start(s, 300, 1), start(s, 300, 2)));
                 GpuMdEngine alone = new GpuMdEngine(single, () -> null, bath, List.of(start(s, 300, 2)))) {
                both.advance(25);
                alone.advance(25);
                assertArrayEquals(alone.state(0).structure().positions(), both.state(1).structure().positions(), 0.0);
                assertTrue(both.state(0).structure().positions()[0] != both.state(1).structure().positions()[0]);
            }
        }
    }
}
