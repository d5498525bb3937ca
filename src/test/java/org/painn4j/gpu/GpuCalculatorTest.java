package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.painn4j.InputException;
import org.painn4j.calc.Precision;
import org.painn4j.calc.Result;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomModels;
import org.painn4j.testing.RandomStructures;
import org.painn4j.testing.TestWeights;

/**
 * The whole GPU model against the float64 CPU reference: forces within 1e-8 eV/Å in float64
 * and 1e-4 eV/Å in float32 (the mission's bar), stress likewise, on random structures of up
 * to 2000 atoms, periodic ones included; bit-identical results run to run.
 */
@Tag("gpu")
class GpuCalculatorTest {
    private static final Map<String, double[]> WORST = new TreeMap<>();

    @BeforeAll
    static void gpu() {
        GpuTests.assumeGpu();
    }

    static Stream<Arguments> structures() {
        List<Arguments> list = new ArrayList<>();
        list.add(Arguments.of("cluster-21", RandomStructures.cluster(21, 0.08, 21)));
        list.add(Arguments.of("cluster-500", RandomStructures.cluster(500, 0.08, 500)));
        list.add(Arguments.of("cluster-2000", RandomStructures.cluster(2000, 0.08, 2000)));
        double a = Math.cbrt(1000 / 0.08);
        list.add(Arguments.of("periodic-cube-1000", RandomStructures.periodic(1000,
                new double[] {a, 0, 0, 0, a, 0, 0, 0, a}, new boolean[] {true, true, true}, 1000)));
        double b = Math.cbrt(2000 / 0.08);
        list.add(Arguments.of("triclinic-2000", RandomStructures.periodic(2000,
                new double[] {b, 0, 0, 0.2 * b, b, 0, -0.1 * b, 0.15 * b, b}, new boolean[] {true, true, true}, 2001)));
        list.add(Arguments.of("slab-400", RandomStructures.periodic(400,
                new double[] {16, 0, 0, 2, 15, 0, 0, 0, 40}, new boolean[] {true, true, false}, 400)));
        list.add(Arguments.of("cluster-3000-and-far-pairs", withFarPairs(RandomStructures.cluster(3000, 0.08, 3000))));
        list.add(Arguments.of("small-cell-self-images", new Structure(new int[] {6, 8, 1},
                new double[] {0.1, 0.2, 0.3, 1.4, 1.6, 1.2, 2.2, 0.3, 2.0},
                new double[] {3.1, 0, 0, 0.4, 2.9, 0, 0.3, -0.2, 3.3}, new boolean[] {true, true, true})));
        return list.stream();
    }

    /**
     * s and four bonded pairs far out along different axes, up to 10⁶ Å away: the neighbor grid
     * leaves such atoms out of its range and clamps them into its end bins, where each must
     * still find its partner.
     */
    static Structure withFarPairs(Structure s) {
        double[][] far = {{1e4, 0, 0}, {0, -3e3, 0}, {0, 0, 1e6}, {-80, -90, -70}};
        int n = s.size();
        int[] z = java.util.Arrays.copyOf(s.numbers(), n + 2 * far.length);
        double[] pos = java.util.Arrays.copyOf(s.positions(), 3 * z.length);
        for (int k = 0; k < far.length; k++) {
            for (int m = 0; m < 2; m++) {
                int i = n + 2 * k + m;
                z[i] = m == 0 ? 6 : 1;
                for (int c = 0; c < 3; c++) {
                    pos[3 * i + c] = far[k][c] + (m == 0 ? 0 : 0.7 + 0.2 * c);
                }
            }
        }
        return Structure.molecule(z, pos);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structures")
    void agreesWithTheCpuReference(String name, Structure s) {
        PainnModel model = TestWeights.testRandom();
        Result ref = new CpuCalculator(model).compute(s);
        for (Precision p : Precision.values()) {
            // measured at most 1.7e-15 / 7.0e-16 in float64, 7.0e-7 / 9.6e-9 in float32 (docs/gpu-runs.md)
            double forceBar = p == Precision.FLOAT64 ? 1e-12 : 1e-5;
            double stressBar = p == Precision.FLOAT64 ? 1e-12 : 1e-6;
            try (GpuCalculator gpu = new GpuCalculator(model, p)) {
                gpu.setPoison(true);
                Result r = gpu.compute(s);
                assertEquals(ref.edges(), r.edges(), "edges");
                double df = maxAbsDiff(r.forces(), ref.forces());
                double ds = ref.stress() == null ? 0 : maxAbsDiff(r.stress(), ref.stress());
                double de = Math.abs(r.energy() - ref.energy()) / Math.abs(ref.energy());
                synchronized (WORST) {
                    WORST.merge(p.label(), new double[] {df, ds, de},
                            (x, y) -> new double[] {Math.max(x[0], y[0]), Math.max(x[1], y[1]), Math.max(x[2], y[2])});
                }
                assertTrue(df <= forceBar, p.label() + " " + name + ": |ΔF| = " + df + " eV/Å");
                assertTrue(ds <= stressBar, p.label() + " " + name + ": |Δσ| = " + ds + " eV/Å³");
                assertTrue(de <= (p == Precision.FLOAT64 ? 1e-12 : 1e-6), p.label() + " " + name + ": relative ΔE = " + de);
                if (ref.stress() == null) {
                    assertNull(r.stress());
                }
            }
        }
    }

    /**
     * Layer 0 by elements (past 64 atoms) with other elements at the same size: a structure of
     * two elements, then one of four, then one of nine (more than ElementKernels.MAX_ELEMENTS:
     * the direct kernels), on one calculator, each with the bits a fresh calculator gives it (no
     * graph or table of the previous elements replayed) and close to the CPU reference.
     */
    @Test
    void otherElementsAtTheSameSizeGetTheirOwnTables() {
        PainnModel model = TestWeights.testRandom();
        Structure base = RandomStructures.cluster(120, 0.08, 31);
        int[][] species = {{1, 6}, {1, 6, 7, 8}, {1, 3, 5, 6, 7, 8, 9, 11, 16}};
        for (Precision p : Precision.values()) {
            try (GpuCalculator gpu = new GpuCalculator(model, p)) {
                for (int[] elements : species) {
                    int[] z = new int[base.size()];
                    for (int i = 0; i < z.length; i++) {
                        z[i] = elements[i % elements.length];
                    }
                    Structure s = Structure.molecule(z, base.positions());
                    Result r = gpu.compute(s);
                    Result fresh;
                    try (GpuCalculator other = new GpuCalculator(model, p)) {
                        fresh = other.compute(s);
                    }
                    String what = p.label() + " " + elements.length + " elements";
                    assertArrayEquals(fresh.forces(), r.forces(), 0.0, what + ": forces");
                    assertEquals(fresh.energy(), r.energy(), 0.0, what + ": energy");
                    Result ref = new CpuCalculator(model).compute(s);
                    double df = maxAbsDiff(r.forces(), ref.forces());
                    assertTrue(df <= (p == Precision.FLOAT64 ? 1e-8 : 1e-4), what + ": |ΔF| = " + df + " eV/Å");
                }
            }
        }
    }

    @Test
    void twoEvaluationsAreBitIdentical() {
        PainnModel model = TestWeights.testRandom();
        double a = Math.cbrt(800 / 0.08);
        Structure s = RandomStructures.periodic(800, new double[] {a, 0, 0, 0, a, 0, 0, 0, a},
                new boolean[] {true, true, true}, 77);
        for (Precision p : Precision.values()) {
            try (GpuCalculator gpu = new GpuCalculator(model, p)) {
                gpu.setPoison(true);
                Result first = gpu.compute(s);
                Result second = gpu.compute(s);
                assertArrayEquals(first.forces(), second.forces(), 0.0, p.label() + " forces");
                assertArrayEquals(first.stress(), second.stress(), 0.0, p.label() + " stress");
                assertEquals(first.energy(), second.energy(), 0.0, p.label() + " energy");
            }
        }
    }

    /** A molecule on the per-column GEMMs, and a periodic box on the tiled ones (layer 0 by elements). */
    static Structure[] perColumnAndTiled() {
        return new Structure[] {RandomStructures.cluster(21, 0.08, 5), RandomStructures.periodic(300,
                new double[] {15, 0, 0, 0, 15, 0, 0, 0, 15}, new boolean[] {true, true, true}, 6)};
    }

    /** Forces, energies, energy and stress (where there is one) equal bit for bit. */
    static void assertSameBits(Result expected, Result actual, String what) {
        assertArrayEquals(expected.forces(), actual.forces(), 0.0, what + " forces");
        assertArrayEquals(expected.energies(), actual.energies(), 0.0, what + " energies");
        assertEquals(expected.energy(), actual.energy(), 0.0, what + " energy");
        if (expected.stress() != null) {
            assertArrayEquals(expected.stress(), actual.stress(), 0.0, what + " stress");
        }
    }

    @Test
    void theGraphReplaysTheSameBitsAsThePlainLaunches() {
        PainnModel model = TestWeights.testRandom();
        for (Structure s : perColumnAndTiled()) {
            for (Precision p : Precision.values()) {
                try (GpuCalculator plain = new GpuCalculator(model, p); GpuCalculator graph = new GpuCalculator(model, p)) {
                    plain.setGraphs(false);
                    Result a = plain.compute(s);
                    Result b = graph.compute(s);
                    Result c = graph.compute(s);
                    assertSameBits(a, b, p.label() + ", graph vs plain");
                    assertSameBits(b, c, p.label() + ", replay vs capture");
                }
            }
        }
    }

    /**
     * The kernels that run beside the chain (the readout's last layer and energy sum; at 300
     * atoms also layer 0's GEMMs by elements) give the bits they give on one stream: captured,
     * replayed, and launched plainly on two streams.
     */
    @Test
    void theBranchesGiveTheBitsOfOneStream() {
        PainnModel model = TestWeights.testRandom();
        for (Structure s : perColumnAndTiled()) {
            for (Precision p : Precision.values()) {
                try (GpuCalculator one = new GpuCalculator(model, p); GpuCalculator graph = new GpuCalculator(model, p);
                     GpuCalculator plain = new GpuCalculator(model, p)) {
                    one.setBranches(false);
                    plain.setGraphs(false);
                    for (GpuCalculator c : new GpuCalculator[] {one, graph, plain}) {
                        c.setPoison(true);
                    }
                    Result a = one.compute(s);
                    String what = p.label() + ", " + s.size() + " atoms";
                    graph.compute(s);
                    assertEquals(s.size() > 100, graph.lastElements() > 0, what + ": layer 0 by elements");
                    assertSameBits(a, graph.compute(s), what + ", replayed");
                    assertSameBits(a, plain.compute(s), what + ", plain launches");
                }
            }
        }
    }

    @Test
    void theMessageKernelsCompiledForF128GiveTheBitsOfThoseForAnyF() {
        PainnModel model = RandomModels.model(128, 2, 20, 5.0, "gaussian", 31);
        for (Structure s : perColumnAndTiled()) {
            // and both right, so that two paths wrong alike cannot pass
            Result ref = new CpuCalculator(model).compute(s);
            for (Precision p : Precision.values()) {
                try (GpuCalculator exact = new GpuCalculator(model, p); GpuCalculator any = new GpuCalculator(model, p)) {
                    assertTrue(exact.setExactMessageKernels(true), "F = 128, K = 20 has kernels of its own");
                    any.setExactMessageKernels(false);
                    exact.setPoison(true);
                    any.setPoison(true);
                    Result a = exact.compute(s);
                    Result b = any.compute(s);
                    assertSameBits(b, a, p.label());
                    double df = maxAbsDiff(a.forces(), ref.forces());
                    assertTrue(df <= (p == Precision.FLOAT64 ? 1e-12 : 1e-5), p.label() + ": |ΔF| = " + df + " eV/Å");
                }
            }
        }
    }

    @Test
    void aMovedStructureIsEvaluatedAfreshByTheSameGraph() {
        PainnModel model = TestWeights.testRandom();
        Structure s = RandomStructures.cluster(40, 0.08, 8);
        double[] p = s.positions();
        for (int i = 0; i < p.length; i++) {
            p[i] += 0.05 * Math.sin(i);
        }
        Structure moved = s.withPositions(p);
        CpuCalculator cpu = new CpuCalculator(model);
        try (GpuCalculator gpu = new GpuCalculator(model, Precision.FLOAT64)) {
            gpu.compute(s);
            assertTrue(maxAbsDiff(gpu.compute(moved).forces(), cpu.compute(moved).forces()) < 1e-8);
            assertTrue(maxAbsDiff(gpu.compute(s).forces(), cpu.compute(s).forces()) < 1e-8);
        }
    }

    @Test
    void capacitiesGrowAndResultsStayRight() {
        PainnModel model = RandomModels.model(32, 2, 16, 5.0, "gaussian", 5);
        CpuCalculator cpu = new CpuCalculator(model);
        try (GpuCalculator gpu = new GpuCalculator(model, Precision.FLOAT64)) {
            // dense, then sparse and small, then larger than before: every capacity path
            for (Structure s : new Structure[] {RandomStructures.cluster(30, 0.15, 1), RandomStructures.cluster(5, 0.01, 2),
                RandomStructures.cluster(700, 0.1, 3)}) {
                Result r = gpu.compute(s);
                assertTrue(maxAbsDiff(r.forces(), cpu.compute(s).forces()) < 1e-8);
            }
        }
    }

    @Test
    void coincidentAtomsAreRefused() {
        Structure s = Structure.molecule(new int[] {6, 8, 1}, new double[] {0, 0, 0, 1.2, 0, 0, 1.2, 0, 0});
        try (GpuCalculator gpu = new GpuCalculator(TestWeights.testRandom(), Precision.FLOAT32)) {
            InputException e = assertThrows(InputException.class, () -> gpu.compute(s));
            assertTrue(e.getMessage().contains("atoms 1 and 2 are at the same position"), e.getMessage());
        }
    }

    @Test
    void isolatedAtomsGiveZeroForcesAndTheEnergyOfTheShifts() {
        PainnModel model = TestWeights.testRandom();
        Structure s = Structure.molecule(new int[] {6, 8}, new double[] {0, 0, 0, 20, 0, 0});
        try (GpuCalculator gpu = new GpuCalculator(model, Precision.FLOAT64)) {
            Result r = gpu.compute(s);
            assertEquals(0, r.edges());
            assertArrayEquals(new double[6], r.forces(), 0.0);
            assertEquals(new CpuCalculator(model).compute(s).energy(), r.energy(), 1e-12);
        }
    }

    static double maxAbsDiff(double[] a, double[] b) {
        assertEquals(b.length, a.length, "length");
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            m = Math.max(m, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
        }
        return m;
    }

    @AfterAll
    static void report() {
        WORST.forEach((k, v) -> System.out.printf(
                "gpu %s vs cpu float64: worst |ΔF| = %.2e eV/Å, |Δσ| = %.2e eV/Å³, relative |ΔE| = %.2e%n", k, v[0], v[1], v[2]));
    }
}
