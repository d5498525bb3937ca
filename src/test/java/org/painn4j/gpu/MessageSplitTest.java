package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.painn4j.testing.RandomStructures;
import org.painn4j.testing.TestWeights;

/**
 * The message kernels that split each row over a cluster of blocks (message_split.cu, structures
 * of at most 64 atoms on Hopper) against the kernels by rows and the float64 CPU reference, on
 * rows of every kind: short (clusters: chunks of 4 edges), long (small periodic cells: chunks of
 * ceil(L / 8)), empty (isolated atoms). Poisoned buffers; the same bits run to run and between
 * graph replay and plain launches.
 */
@Tag("gpu")
class MessageSplitTest {

    @BeforeAll
    static void gpu() {
        GpuTests.assumeGpu();
    }

    static Stream<Arguments> structures() {
        List<Arguments> list = new ArrayList<>();
        list.add(Arguments.of("cluster-5", RandomStructures.cluster(5, 0.08, 51)));
        list.add(Arguments.of("cluster-21", RandomStructures.cluster(21, 0.08, 52)));
        list.add(Arguments.of("cluster-64", RandomStructures.cluster(64, 0.08, 53)));
        list.add(Arguments.of("periodic-24", RandomStructures.periodic(24, new double[] {6.2, 0, 0, 0, 6.2, 0, 0, 0, 6.2},
                new boolean[] {true, true, true}, 54)));
        list.add(Arguments.of("periodic-12-tiny-cell", RandomStructures.periodic(12,
                new double[] {4, 0, 0, 0, 4, 0, 0, 0, 4}, new boolean[] {true, true, true}, 55)));
        list.add(Arguments.of("isolated-atoms-and-a-pair", Structure.molecule(new int[] {6, 8, 1, 1},
                new double[] {0, 0, 0, 20, 0, 0, 40, 0, 0, 40.9, 0.3, 0.1})));
        return list.stream();
    }

    @Test
    void hopperHasTheSplitKernels() {
        try (GpuCalculator gpu = new GpuCalculator(TestWeights.testRandom(), Precision.FLOAT32)) {
            boolean hopper = CudaContext.shared().computeCapability() >= 90;
            assertEquals(hopper, gpu.message.useSplit(true), "split kernels exist exactly on Hopper and newer");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structures")
    void agreeWithTheKernelsByRowsAndTheCpu(String name, Structure s) {
        PainnModel model = TestWeights.testRandom();
        Result ref = new CpuCalculator(model).compute(s);
        for (Precision p : Precision.values()) {
            try (GpuCalculator split = new GpuCalculator(model, p); GpuCalculator rows = new GpuCalculator(model, p)) {
                split.setPoison(true);
                rows.setPoison(true);
                rows.setSplitMessages(false);
                Result a = split.compute(s);
                Result b = rows.compute(s);
                String what = p.label() + " " + name;
                double cpu = p == Precision.FLOAT64 ? 1e-8 : 1e-4;
                double dfRef = GpuCalculatorTest.maxAbsDiff(a.forces(), ref.forces());
                assertTrue(dfRef <= cpu, what + ": split |ΔF| against the CPU = " + dfRef);
                assertTrue(GpuCalculatorTest.maxAbsDiff(b.forces(), ref.forces()) <= cpu, what + ": rows against the CPU");
                // the two orders of the same sums: rounding apart
                double df = GpuCalculatorTest.maxAbsDiff(a.forces(), b.forces());
                double scale = Arrays.stream(ref.forces()).map(Math::abs).max().orElse(1) + 1e-300;
                assertTrue(df / scale <= (p == Precision.FLOAT64 ? 1e-13 : 1e-5), what + ": split vs rows |ΔF| = " + df);
                assertEquals(b.energy(), a.energy(), Math.abs(b.energy()) * (p == Precision.FLOAT64 ? 1e-14 : 1e-6), what);
                if (ref.stress() != null) {
                    assertTrue(GpuCalculatorTest.maxAbsDiff(a.stress(), ref.stress()) <= cpu, what + ": stress");
                }
                // the same bits again, by graph replay and by plain launches
                Result again = split.compute(s);
                split.setGraphs(false);
                Result plain = split.compute(s);
                assertArrayEquals(a.forces(), again.forces(), 0.0, what + ": repeat");
                assertArrayEquals(a.forces(), plain.forces(), 0.0, what + ": graph vs plain");
                assertArrayEquals(a.energies(), plain.energies(), 0.0, what + ": energies");
            }
        }
    }

    /**
     * A batch of eight small structures (168 atoms: the chunked kernels, a block per row) gives
     * each the bits it gets alone (split over clusters).
     */
    @Test
    void aBatchOfSmallStructuresHasTheBitsOfEachAlone() {
        PainnModel model = TestWeights.testRandom();
        List<Structure> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batch.add(i % 3 == 2 ? RandomStructures.periodic(12, new double[] {4.5, 0, 0, 0, 4.5, 0, 0, 0, 4.5},
                    new boolean[] {true, true, true}, 60 + i) : RandomStructures.cluster(21, 0.08, 60 + i));
        }
        for (Precision p : Precision.values()) {
            try (GpuCalculator gpu = new GpuCalculator(model, p); GpuCalculator alone = new GpuCalculator(model, p)) {
                gpu.setPoison(true);
                List<Result> together = gpu.compute(batch);
                for (int i = 0; i < batch.size(); i++) {
                    Result a = alone.compute(batch.get(i));
                    String what = p.label() + " structure " + i;
                    assertArrayEquals(a.forces(), together.get(i).forces(), 0.0, what + ": forces");
                    assertArrayEquals(a.energies(), together.get(i).energies(), 0.0, what + ": energies");
                }
            }
        }
    }

    /** Float32 sums in another order: some bit differs, so the split kernels did run. */
    @Test
    void theSplitKernelsRunForSmallStructures() {
        PainnModel model = TestWeights.testRandom();
        Structure s = RandomStructures.cluster(21, 0.08, 52);
        try (GpuCalculator split = new GpuCalculator(model, Precision.FLOAT32);
             GpuCalculator rows = new GpuCalculator(model, Precision.FLOAT32)) {
            assumeTrue(split.message.useSplit(true), "before Hopper: no split kernels (hopperHasTheSplitKernels)");
            rows.setSplitMessages(false);
            assertFalse(Arrays.equals(split.compute(s).forces(), rows.compute(s).forces()),
                    "split and row kernels gave the same bits");
        }
    }
}
