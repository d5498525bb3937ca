package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
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
import org.painn4j.testing.TestWeights;

/**
 * The forward message kernel that forms the filter on the tensor cores (message_tiled.cu, opt-in:
 * Hopper, F = 128, 17 ≤ K ≤ 20, structures of more than 64 atoms) against message.cu's and the float64
 * CPU reference: rows split unevenly over the blocks (clusters, a periodic cell of long rows,
 * empty rows at both ends and inside), K = 20 and K = 18 (φ padded), a model whose layers share
 * one filter. Poisoned buffers; the same bits run to run, between graph replay and plain launches,
 * and in a batch.
 */
@Tag("gpu")
class MessageTiledTest {

    @BeforeAll
    static void gpu() {
        GpuTests.assumeGpu();
    }

    /** A cluster of n atoms with an isolated atom first, one in the middle and one last: empty rows. */
    static Structure withIsolatedAtoms(int n, long seed) {
        Structure c = RandomStructures.cluster(n, 0.08, seed);
        int[] z = new int[n + 3];
        double[] x = new double[3 * (n + 3)];
        int half = n / 2;
        for (int i = 0, o = 0; i < n + 3; i++) {
            double[] at;
            if (i == 0) {
                at = new double[] {-80, 0, 0};
            } else if (i == half + 1) {
                at = new double[] {0, 80, 0};
            } else if (i == n + 2) {
                at = new double[] {0, 0, 80};
            } else {
                at = new double[] {c.position(o, 0), c.position(o, 1), c.position(o, 2)};
                z[i] = c.number(o++);
                System.arraycopy(at, 0, x, 3 * i, 3);
                continue;
            }
            z[i] = 6;
            System.arraycopy(at, 0, x, 3 * i, 3);
        }
        return Structure.molecule(z, x);
    }

    static Stream<Arguments> cases() {
        PainnModel k20 = TestWeights.testRandom();
        PainnModel k18 = RandomModels.model(128, 2, 18, 5.0, "gaussian", 71);
        PainnModel shared = RandomModels.sharedFilters(128, 3, 20, 5.0, "gaussian", 72);
        List<Arguments> list = new ArrayList<>();
        list.add(Arguments.of("cluster-90", k20, RandomStructures.cluster(90, 0.08, 81)));
        list.add(Arguments.of("cluster-1500", k20, RandomStructures.cluster(1500, 0.08, 82)));
        list.add(Arguments.of("periodic-300", k20, RandomStructures.periodic(300,
                new double[] {15, 0, 0, 0, 15, 0, 0, 0, 15}, new boolean[] {true, true, true}, 83)));
        list.add(Arguments.of("isolated-atoms-400", k20, withIsolatedAtoms(400, 84)));
        list.add(Arguments.of("k18-cluster-700", k18, RandomStructures.cluster(700, 0.08, 85)));
        list.add(Arguments.of("shared-filters-cluster-200", shared, RandomStructures.cluster(200, 0.08, 86)));
        return list.stream();
    }

    @Test
    void hopperHasTheTiledKernel() {
        try (GpuCalculator gpu = new GpuCalculator(TestWeights.testRandom(), Precision.FLOAT32)) {
            boolean hopper = CudaContext.shared().computeCapability() >= 90;
            assertEquals(hopper, gpu.setTiledMessages(true), "the tiled kernel exists exactly on Hopper and newer");
        }
    }

    /**
     * The launch takes its dynamic shared memory from the module (sizeof(tiled::Tiles&lt;T&gt;)):
     * W_f [3F][25] and its bias in double, φ [2][tile][24] in double, the filter [2][tile][3F]
     * in T, tiles of 32 edges in float32 and 16 in float64.
     */
    @Test
    void itsSharedMemoryIsTheLayoutOfItsTiles() {
        assumeTrue(CudaContext.shared().computeCapability() >= 90, "before Hopper: no tiled kernel");
        for (Precision p : Precision.values()) {
            int tile = p == Precision.FLOAT32 ? 32 : 16, out = 3 * 128, real = p == Precision.FLOAT32 ? 4 : 8;
            int layout = 8 * out * 25 + 8 * out + 2 * tile * 24 * 8 + 2 * tile * out * real;
            String name = "painn_message_fwd_tiled_" + (p == Precision.FLOAT32 ? "f32" : "f64") + "_k20_f128_shared";
            assertEquals(layout, CudaContext.shared().constant("message_tiled", name), name);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void agreeWithMessageCuAndTheCpu(String name, PainnModel model, Structure s) {
        Result ref = new CpuCalculator(model).compute(s);
        double scale = Arrays.stream(ref.forces()).map(Math::abs).max().orElse(1) + 1e-300;
        for (Precision p : Precision.values()) {
            try (GpuCalculator tiled = new GpuCalculator(model, p); GpuCalculator rows = new GpuCalculator(model, p)) {
                assumeTrue(tiled.setTiledMessages(true), "before Hopper: no tiled kernel");
                tiled.setPoison(true);
                rows.setPoison(true);
                rows.setTiledMessages(false);
                Result a = tiled.compute(s);
                Result b = rows.compute(s);
                String what = p.label() + " " + name;
                double cpu = p == Precision.FLOAT64 ? 1e-8 : 1e-4;
                double dfRef = GpuCalculatorTest.maxAbsDiff(a.forces(), ref.forces());
                assertTrue(dfRef <= cpu, what + ": tiled |ΔF| against the CPU = " + dfRef);
                double dfRows = GpuCalculatorTest.maxAbsDiff(a.forces(), b.forces());
                assertTrue(dfRows / scale <= (p == Precision.FLOAT64 ? 1e-13 : 1e-5),
                        what + ": tiled vs message.cu |ΔF| = " + dfRows);
                assertEquals(ref.energy(), a.energy(), Math.abs(ref.energy()) * (p == Precision.FLOAT64 ? 1e-13 : 1e-6),
                        what + ": energy");
                assertTrue(GpuCalculatorTest.maxAbsDiff(a.energies(), ref.energies()) <= (p == Precision.FLOAT64 ? 1e-10
                        : 1e-4), what + ": per-atom energies");
                Result again = tiled.compute(s);
                tiled.setGraphs(false);
                Result plain = tiled.compute(s);
                GpuCalculatorTest.assertSameBits(a, again, what + ", repeat");
                GpuCalculatorTest.assertSameBits(a, plain, what + ", graph vs plain");
            }
        }
    }

    /** Two structures of more than 64 atoms in one batch get the bits each gets alone. */
    @Test
    void aBatchHasTheBitsOfEachAlone() {
        PainnModel model = TestWeights.testRandom();
        List<Structure> batch = List.of(RandomStructures.cluster(150, 0.08, 91), withIsolatedAtoms(120, 92));
        for (Precision p : Precision.values()) {
            try (GpuCalculator gpu = new GpuCalculator(model, p); GpuCalculator alone = new GpuCalculator(model, p)) {
                assumeTrue(gpu.setTiledMessages(true), "before Hopper: no tiled kernel");
                alone.setTiledMessages(true);
                gpu.setPoison(true);
                List<Result> together = gpu.compute(batch);
                for (int i = 0; i < batch.size(); i++) {
                    GpuCalculatorTest.assertSameBits(alone.compute(batch.get(i)), together.get(i),
                            p.label() + " structure " + i);
                }
            }
        }
    }

    /** The filter rounded once from a double sum: some float32 bit differs, so the tiled kernel did run. */
    @Test
    void theTiledKernelsRunForLargerStructures() {
        PainnModel model = TestWeights.testRandom();
        Structure s = RandomStructures.cluster(200, 0.08, 93);
        try (GpuCalculator tiled = new GpuCalculator(model, Precision.FLOAT32);
             GpuCalculator rows = new GpuCalculator(model, Precision.FLOAT32)) {
            assumeTrue(tiled.setTiledMessages(true), "before Hopper: no tiled kernel");
            rows.setTiledMessages(false);
            assertFalse(Arrays.equals(tiled.compute(s).forces(), rows.compute(s).forces()),
                    "the tiled and message.cu kernels gave the same bits");
        }
    }
}
