package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import org.painn4j.calc.Precision;
import org.painn4j.calc.Result;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomModels;
import org.painn4j.testing.RandomStructures;

/**
 * The one-kernel evaluation of small structures (fused.cu) against the float64 CPU reference
 * and against the kernel-by-kernel path, at every size it takes, on random weights with
 * non-zero shifts; bit-identical run to run and between graph replay and plain launch.
 * KernelPairsTest checks it tensor by tensor as well.
 */
@Tag("gpu")
class FusedKernelsTest {
    private static final Map<String, double[]> WORST = new TreeMap<>();

    @BeforeAll
    static void gpu() {
        GpuTests.assumeGpu();
    }

    static PainnModel model() {
        return RandomModels.modelWithShifts(128, 3, 20, 5.0, "gaussian", 7);
    }

    static Stream<Arguments> structures() {
        List<Arguments> list = new ArrayList<>();
        for (int n : new int[] {1, 2, 5, 13, 21, 33, 48, 64}) {
            list.add(Arguments.of("cluster-" + n, RandomStructures.cluster(n, 0.08, 100 + n)));
        }
        list.add(Arguments.of("dense-cluster-40", RandomStructures.cluster(40, 0.2, 40)));
        list.add(Arguments.of("periodic-30", RandomStructures.periodic(30,
                new double[] {7.2, 0, 0, 0.9, 6.8, 0, -0.6, 0.4, 7.5}, new boolean[] {true, true, true}, 30)));
        list.add(Arguments.of("self-images", new Structure(new int[] {6, 8, 1},
                new double[] {0.1, 0.2, 0.3, 1.4, 1.6, 1.2, 2.2, 0.3, 2.0},
                new double[] {3.1, 0, 0, 0.4, 2.9, 0, 0.3, -0.2, 3.3}, new boolean[] {true, true, true})));
        return list.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structures")
    void agreesWithTheCpuReferenceAndTheKernelPath(String name, Structure s) {
        PainnModel model = model();
        Result ref = new CpuCalculator(model).compute(s);
        for (Precision p : Precision.values()) {
            Result fused;
            Result kernels;
            try (GpuCalculator gpu = new GpuCalculator(model, p)) {
                gpu.setFused(true);
                assumeTrue(gpu.fusedFor(s.size()), "no one-kernel path on this device");
                gpu.setPoison(true);
                fused = gpu.compute(s);
                gpu.setFused(false);
                kernels = gpu.compute(s);
            }
            // measured at most 1.4e-15 in float64 and 6e-7 in float32 (docs/gpu-runs.md)
            double forceBar = p == Precision.FLOAT64 ? 1e-12 : 1e-5;
            double df = maxAbsDiff(fused.forces(), ref.forces());
            double ds = ref.stress() == null ? 0 : maxAbsDiff(fused.stress(), ref.stress());
            double de = Math.abs(fused.energy() - ref.energy()) / Math.abs(ref.energy());
            double dk = maxAbsDiff(fused.forces(), kernels.forces());
            synchronized (WORST) {
                WORST.merge(p.label(), new double[] {df, ds, de, dk},
                        (x, y) -> new double[] {Math.max(x[0], y[0]), Math.max(x[1], y[1]), Math.max(x[2], y[2]),
                            Math.max(x[3], y[3])});
            }
            assertEquals(ref.edges(), fused.edges(), "edges");
            assertTrue(df <= forceBar, p.label() + " " + name + ": |ΔF| = " + df + " eV/Å");
            assertTrue(ds <= forceBar, p.label() + " " + name + ": |Δσ| = " + ds + " eV/Å³");
            // float32: per atom, the readout's last sum is rounded at its own scale, so the bar is per atom
            double eBar = p == Precision.FLOAT64 ? 1e-12 * Math.abs(ref.energy()) : 1e-5 * s.size();
            assertTrue(Math.abs(fused.energy() - ref.energy()) <= eBar, p.label() + " " + name + ": ΔE = "
                    + (fused.energy() - ref.energy()));
            assertTrue(dk <= forceBar, p.label() + " " + name + ": fused vs kernels |ΔF| = " + dk);
            assertEquals(ref.stress() == null, fused.stress() == null, "stress present");
            for (int i = 0; i < s.size(); i++) {
                assertEquals(ref.energies()[i], fused.energies()[i], p == Precision.FLOAT64 ? 1e-10 : 1e-4, "E_" + i);
            }
        }
    }

    @Test
    void repeatsAndGraphReplaysAreBitIdentical() {
        PainnModel model = model();
        Structure s = RandomStructures.cluster(21, 0.08, 5);
        for (Precision p : Precision.values()) {
            try (GpuCalculator gpu = new GpuCalculator(model, p)) {
                gpu.setFused(true);
                assumeTrue(gpu.fusedFor(s.size()), "no one-kernel path on this device");
                gpu.setPoison(true);
                Result a = gpu.compute(s);
                Result b = gpu.compute(s);
                gpu.setGraphs(false);
                Result c = gpu.compute(s);
                assertArrayEquals(a.forces(), b.forces(), "repeat");
                assertArrayEquals(a.forces(), c.forces(), "graph vs plain launches");
                assertEquals(a.energy(), c.energy());
                // and it is really a different path: its sums run in another order
                gpu.setFused(false);
                Result k = gpu.compute(s);
                if (p == Precision.FLOAT32) {
                    assertFalse(java.util.Arrays.equals(a.forces(), k.forces()), "fused and kernel paths gave the same bits");
                }
            }
        }
    }

    @Test
    void largerStructuresTakeTheKernelPath() {
        try (GpuCalculator gpu = new GpuCalculator(model(), Precision.FLOAT32)) {
            gpu.setFused(true);
            assumeTrue(gpu.fusedFor(64), "no one-kernel path on this device");
            assertFalse(gpu.fusedFor(65));
            Structure s = RandomStructures.cluster(65, 0.08, 65);
            Result ref = new CpuCalculator(model()).compute(s);
            assertTrue(maxAbsDiff(gpu.compute(s).forces(), ref.forces()) <= 1e-4);
        }
    }

    static double maxAbsDiff(double[] a, double[] b) {
        assertEquals(b.length, a.length, "length");
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            m = Math.max(m, d);
        }
        return m;
    }

    @AfterAll
    static void report() {
        WORST.forEach((k, v) -> System.out.printf(
                "fused %s vs cpu float64: worst |ΔF| = %.2e eV/Å, |Δσ| = %.2e, relative ΔE = %.2e; vs kernel path |ΔF| = %.2e%n",
                k, v[0], v[1], v[2], v[3]));
    }
}
