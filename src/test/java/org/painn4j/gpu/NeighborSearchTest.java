package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.painn4j.InputException;
import org.painn4j.calc.Precision;
import org.painn4j.calc.Result;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.NeighborList;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomModels;
import org.painn4j.testing.RandomStructures;
import org.painn4j.testing.TestWeights;

/**
 * The neighbor search by all pairs (NeighborKernels.Search.PAIRS) against the CPU list, edge for
 * edge, and against the binned search, bit for bit in the results: molecules, periodic cells
 * with many images, a slab, far-out pairs, and rows past the kept keys and past a warp's shared
 * buffer; coincident atoms refused by it and forgotten by the next structure.
 */
@Tag("gpu")
class NeighborSearchTest {
    @BeforeAll
    static void gpu() {
        GpuTests.assumeGpu();
    }

    static Stream<Arguments> structures() {
        PainnModel model = TestWeights.testRandom();
        // a cutoff of 9 Å at 0.2 atoms/Å³: rows of about 600 edges inside the cluster
        PainnModel wide = RandomModels.model(16, 1, 8, 9.0, "gaussian", 3);
        List<Arguments> list = new ArrayList<>();
        list.add(Arguments.of("cluster-500", model, RandomStructures.cluster(500, 0.08, 500)));
        list.add(Arguments.of("cluster-1400-and-far-pairs",
                model, GpuCalculatorTest.withFarPairs(RandomStructures.cluster(1400, 0.08, 1400))));
        double a = Math.cbrt(250 / 0.08);
        list.add(Arguments.of("periodic-cube-250", model, RandomStructures.periodic(250,
                new double[] {a, 0, 0, 0, a, 0, 0, 0, a}, new boolean[] {true, true, true}, 1000)));
        list.add(Arguments.of("triclinic-150-many-images", model, RandomStructures.periodic(150,
                new double[] {6.5, 0, 0, 1.1, 6.2, 0, -0.7, 0.9, 6.8}, new boolean[] {true, true, true}, 150)));
        list.add(Arguments.of("slab-400", model, RandomStructures.periodic(400,
                new double[] {16, 0, 0, 2, 15, 0, 0, 0, 40}, new boolean[] {true, true, false}, 400)));
        list.add(Arguments.of("cluster-700-long-rows", wide, RandomStructures.cluster(700, 0.2, 700)));
        return list.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structures")
    void pairsGiveTheCpuListAndTheBinnedResults(String name, PainnModel model, Structure s) {
        NeighborList cpu = NeighborList.build(s, model.config.cutoff());
        for (Precision p : Precision.values()) {
            try (GpuCalculator pairs = new GpuCalculator(model, p); GpuCalculator binned = new GpuCalculator(model, p)) {
                binned.setPairSearch(false);
                pairs.setPoison(true);
                Result a = pairs.compute(s);
                assertEquals(NeighborKernels.Search.PAIRS, pairs.lastSearch(), name);
                Map<String, double[]> t = pairs.tensors();
                assertArrayEquals(toDouble(cpu.rowStart), t.get("rowStart"), name + " rowStart");
                assertArrayEquals(toDouble(cpu.neighbor), t.get("neighbor"), name + " neighbor");
                assertArrayEquals(toDouble(cpu.image), t.get("image"), name + " image");
                assertArrayEquals(toDouble(cpu.reverse), t.get("reverse"), name + " reverse");
                Result b = binned.compute(s);
                assertEquals(NeighborKernels.Search.BINNED, binned.lastSearch(), name);
                GpuCalculatorTest.assertSameBits(b, a, p.label() + " " + name + ", pairs vs binned");
                // the graph replayed: the same bits again
                GpuCalculatorTest.assertSameBits(a, pairs.compute(s), p.label() + " " + name + ", replayed");
            }
        }
    }

    @Test
    void coincidentAtomsAreRefusedAndForgotten() {
        Structure good = RandomStructures.cluster(300, 0.08, 41);
        double[] pos = good.positions();
        // two coincident pairs: the one with the smaller first atom is named
        for (int[] pair : new int[][] {{250, 180}, {97, 201}}) {
            System.arraycopy(pos, 3 * pair[0], pos, 3 * pair[1], 3);
        }
        Structure bad = good.withPositions(pos);
        try (GpuCalculator gpu = new GpuCalculator(TestWeights.testRandom(), Precision.FLOAT32)) {
            Result before = gpu.compute(good);
            assertEquals(NeighborKernels.Search.PAIRS, gpu.lastSearch());
            InputException e = assertThrows(InputException.class, () -> gpu.compute(bad));
            assertTrue(e.getMessage().contains("atoms 97 and 201 are at the same position"), e.getMessage());
            GpuCalculatorTest.assertSameBits(before, gpu.compute(good), "after the refusal");
        }
    }

    private static double[] toDouble(int[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
