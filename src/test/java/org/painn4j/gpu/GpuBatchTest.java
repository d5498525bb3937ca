package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
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
 * Batched evaluation ({@link GpuCalculator#compute(List)}) against one structure at a time:
 * the same bits for every structure — energy, per-atom energies, forces, stress, edge count —
 * since a batch keeps every reduction of a structure in the order it has alone; with poisoned
 * buffers, with and without the CUDA graph, across batches of other shapes and through the
 * growth of the edge capacity.
 */
@Tag("gpu")
class GpuBatchTest {

    @BeforeAll
    static void gpu() {
        GpuTests.assumeGpu();
    }

    /** Molecules, periodic, triclinic, slab and wire cells of every batch class, two of each at least. */
    static List<Structure> mixed() {
        List<Structure> list = new ArrayList<>();
        list.add(RandomStructures.cluster(21, 0.08, 1));
        list.add(RandomStructures.periodic(24, new double[] {6.2, 0, 0, 0, 6.2, 0, 0, 0, 6.2},
                new boolean[] {true, true, true}, 2));
        list.add(RandomStructures.cluster(100, 0.08, 3));
        list.add(RandomStructures.cluster(5, 0.08, 4));
        list.add(RandomStructures.periodic(12, new double[] {7, 0, 0, 1.5, 7, 0, -1, 1.2, 7.5},
                new boolean[] {true, true, true}, 5));
        list.add(RandomStructures.cluster(40, 0.08, 6));
        list.add(RandomStructures.periodic(16, new double[] {8, 0, 0, 1, 8, 0, 0, 0, 20},
                new boolean[] {true, true, false}, 7));
        list.add(RandomStructures.cluster(300, 0.08, 8)); // the binned search
        list.add(RandomStructures.periodic(10, new double[] {6, 0, 0, 0, 15, 0, 0, 0, 15},
                new boolean[] {true, false, false}, 9));
        list.add(new Structure(new int[] {6, 8, 1}, new double[] {0.1, 0.2, 0.3, 1.4, 1.6, 1.2, 2.2, 0.3, 2.0},
                new double[] {3.1, 0, 0, 0.4, 2.9, 0, 0.3, -0.2, 3.3}, new boolean[] {true, true, true}));
        list.add(RandomStructures.cluster(64, 0.08, 10));
        list.add(RandomStructures.periodic(48, new double[] {9, 0, 0, 0, 9, 0, 0, 0, 9},
                new boolean[] {true, true, true}, 11)); // too many candidates for the single block: binned
        list.add(RandomStructures.cluster(128, 0.08, 12));
        list.add(RandomStructures.cluster(9, 0.08, 13));
        // partners for the binned classes: more than 64 atoms, 22 to 64, at most 21 (tiny cells)
        list.add(RandomStructures.cluster(500, 0.08, 14));
        list.add(RandomStructures.periodic(40, new double[] {8.5, 0, 0, 0, 8.5, 0, 0, 0, 8.5},
                new boolean[] {true, true, true}, 15));
        list.add(RandomStructures.periodic(12, new double[] {4, 0, 0, 0, 4, 0, 0, 0, 4},
                new boolean[] {true, true, true}, 16));
        list.add(RandomStructures.periodic(14, new double[] {4.2, 0, 0, 0.3, 4.2, 0, 0, 0, 4.4},
                new boolean[] {true, true, true}, 17));
        return list;
    }

    static void assertSame(Result alone, Result batched, String what) {
        assertTrue(alone.edges() > 0, what + ": a structure with edges");
        assertSameBits(alone, batched, what);
    }

    static void assertSameBits(Result alone, Result batched, String what) {
        assertEquals(alone.edges(), batched.edges(), what + ": edges");
        assertEquals(alone.energy(), batched.energy(), 0.0, what + ": energy");
        assertArrayEquals(alone.energies(), batched.energies(), 0.0, what + ": per-atom energies");
        assertArrayEquals(alone.forces(), batched.forces(), 0.0, what + ": forces");
        if (alone.stress() == null) {
            assertNull(batched.stress(), what + ": no stress");
        } else {
            assertArrayEquals(alone.stress(), batched.stress(), 0.0, what + ": stress");
        }
        if (alone.virial() == null) {
            assertNull(batched.virial(), what + ": no virial");
        } else {
            assertArrayEquals(alone.virial(), batched.virial(), 0.0, what + ": virial");
        }
    }

    @Test
    void aBatchGivesEveryStructureItsOwnBits() {
        PainnModel model = TestWeights.testRandom();
        List<Structure> structures = mixed();
        // the classes of the list: every class, single-block (0-2) and binned (3-5), with partners
        try (GpuCalculator probe = new GpuCalculator(model, Precision.FLOAT32)) {
            int[] classes = structures.stream().mapToInt(probe::batchClass).toArray();
            assertArrayEquals(new int[] {0, 1, 2, 0, 0, 1, 0, 5, 0, 0, 1, 4, 2, 0, 5, 4, 3, 3}, classes);
        }
        for (Precision p : Precision.values()) {
            try (GpuCalculator single = new GpuCalculator(model, p); GpuCalculator batched = new GpuCalculator(model, p)) {
                single.setPoison(true);
                batched.setPoison(true);
                List<Result> together = batched.compute(structures);
                assertEquals(structures.size(), together.size());
                for (int i = 0; i < structures.size(); i++) {
                    assertSame(single.compute(structures.get(i)), together.get(i), p.label() + " structure " + i);
                }
                // replayed: the same graph again, and the batch agrees with the CPU reference too
                List<Result> again = batched.compute(structures);
                for (int i = 0; i < structures.size(); i++) {
                    assertSame(together.get(i), again.get(i), p.label() + " replay, structure " + i);
                }
                CpuCalculator cpu = new CpuCalculator(model);
                double tolerance = p == Precision.FLOAT64 ? 1e-8 : 1e-4;
                for (int i : new int[] {1, 4, 7, 9, 15, 16}) {
                    assertTrue(GpuCalculatorTest.maxAbsDiff(together.get(i).forces(),
                            cpu.compute(structures.get(i)).forces()) < tolerance, p.label() + " vs cpu, structure " + i);
                }
            }
        }
    }

    @Test
    void theGraphReplaysTheSameBitsAsThePlainLaunches() {
        PainnModel model = TestWeights.testRandom();
        List<Structure> structures = mixed();
        for (Precision p : Precision.values()) {
            try (GpuCalculator plain = new GpuCalculator(model, p); GpuCalculator graph = new GpuCalculator(model, p)) {
                plain.setGraphs(false);
                List<Result> a = plain.compute(structures);
                List<Result> b = graph.compute(structures);
                for (int i = 0; i < structures.size(); i++) {
                    assertSame(a.get(i), b.get(i), p.label() + " plain vs graph, structure " + i);
                }
            }
        }
    }

    /**
     * One calculator through batches of other shapes and species (recaptured graphs, uploads),
     * single evaluations between them, and a batch whose edges outgrow the capacity.
     */
    @Test
    void batchesOfOtherShapesAndGrowingCapacities() {
        PainnModel model = RandomModels.model(32, 2, 16, 5.0, "gaussian", 5);
        List<Structure> sparse = List.of(RandomStructures.cluster(6, 0.03, 1), RandomStructures.cluster(7, 0.03, 2));
        // about 10,000 edges: more than the capacity the sparse batch left
        List<Structure> dense = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            dense.add(RandomStructures.cluster(60, 0.15, 20 + k));
            dense.add(RandomStructures.periodic(20, new double[] {6, 0, 0, 0.5, 6, 0, 0, 0, 6},
                    new boolean[] {true, true, true}, 30 + k));
        }
        List<Structure> molecules = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
            molecules.add(RandomStructures.cluster(3 + k, 0.08, 40 + k));
        }
        try (GpuCalculator single = new GpuCalculator(model, Precision.FLOAT64);
             GpuCalculator batched = new GpuCalculator(model, Precision.FLOAT64)) {
            for (List<Structure> batch : List.of(sparse, dense, molecules, sparse, molecules)) {
                int capacity = batched.edgeCapacity();
                List<Result> together = batched.compute(batch);
                int edges = 0;
                for (int i = 0; i < batch.size(); i++) {
                    assertSame(single.compute(batch.get(i)), together.get(i), "structure " + i);
                    edges += together.get(i).edges();
                }
                if (batch == dense) {
                    assertTrue(capacity < edges / 2 && batched.edgeCapacity() > capacity,
                            "the dense batches outgrew the capacity: " + capacity + " → " + batched.edgeCapacity());
                }
                Structure one = batch.get(batch.size() - 1);
                assertSame(single.compute(one), batched.compute(one), "a single evaluation between batches");
            }
        }
    }

    /**
     * Structures without a single edge (one atom; atoms farther apart than the cutoff) in a batch
     * with others and in a batch of their own: the energy of their embeddings and shifts, zero
     * forces, as alone and as the CPU reference.
     */
    @Test
    void structuresWithoutEdgesInABatch() {
        PainnModel model = TestWeights.testRandom();
        Structure good = RandomStructures.cluster(9, 0.08, 1);
        Structure apart = Structure.molecule(new int[] {6, 8}, new double[] {0, 0, 0, 20, 0, 0});
        Structure single = Structure.molecule(new int[] {7}, new double[] {1, 2, 3});
        CpuCalculator cpu = new CpuCalculator(model);
        for (Precision p : Precision.values()) {
            try (GpuCalculator alone = new GpuCalculator(model, p); GpuCalculator batched = new GpuCalculator(model, p)) {
                alone.setPoison(true);
                batched.setPoison(true);
                for (List<Structure> batch : List.of(List.of(good, apart, single, good), List.of(apart, single))) {
                    List<Result> together = batched.compute(batch);
                    for (int i = 0; i < batch.size(); i++) {
                        Structure s = batch.get(i);
                        Result r = together.get(i);
                        assertSameBits(alone.compute(s), r, p.label() + " structure " + i);
                        assertEquals(cpu.compute(s).energy(), r.energy(), 1e-6 * Math.abs(r.energy()), p.label() + " energy " + i);
                        if (s != good) {
                            assertEquals(0, r.edges());
                            assertArrayEquals(new double[3 * s.size()], r.forces(), 0.0, p.label() + " forces " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void refusalsNameTheStructure() {
        Structure good = RandomStructures.cluster(9, 0.08, 1);
        Structure coincident = Structure.molecule(new int[] {6, 8, 1}, new double[] {0, 0, 0, 1.2, 0, 0, 1.2, 0, 0});
        Structure fermium = Structure.molecule(new int[] {6, 100}, new double[] {0, 0, 0, 1.2, 0, 0});
        try (GpuCalculator gpu = new GpuCalculator(TestWeights.testRandom(), Precision.FLOAT32)) {
            InputException e = assertThrows(InputException.class, () -> gpu.compute(List.of(good, good, coincident, good)));
            assertTrue(e.getMessage().startsWith("structure 2: atoms 1 and 2 are at the same position"), e.getMessage());
            e = assertThrows(InputException.class, () -> gpu.compute(List.of(good, fermium)));
            assertTrue(e.getMessage().startsWith("structure 1: atom 1 has atomic number 100"), e.getMessage());
            // and the calculator goes on working
            assertSame(gpu.compute(good), gpu.compute(List.of(good, good)).get(1), "after a refusal");
        }
    }
}
