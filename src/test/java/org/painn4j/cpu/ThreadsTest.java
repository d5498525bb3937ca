package org.painn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.painn4j.calc.Result;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.NeighborList;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomModels;
import org.painn4j.testing.RandomStructures;

/** The CPU engine on several threads: the same bits as on one, for every split. */
class ThreadsTest {
    // the shipped models' shape: with F = 128 every loop of the larger structures is worth
    // splitting (Parallel.minChunk), the dense layers and the neighbors' gather included
    private static final PainnModel MODEL = RandomModels.modelWithShifts(128, 3, 20, 5.0, "gaussian", 5);

    private static List<Structure> structures() {
        return List.of(
                RandomStructures.cluster(96, 0.08, 11),
                RandomStructures.cluster(7, 0.08, 12),
                // a cell thinner than the cutoff: several images of one pair, and of an atom itself
                RandomStructures.periodic(5, new double[] {3.1, 0, 0, 0.4, 3.3, 0, 0.2, 0.3, 3.6},
                        new boolean[] {true, true, true}, 13),
                RandomStructures.periodic(40, new double[] {7, 0, 0, 0, 7.5, 0, 0, 0, 30},
                        new boolean[] {true, true, false}, 14));
    }

    @Test
    void everyNumberOfThreadsGivesTheSameBits() {
        List<Structure> structures = structures();
        Result[] one;
        try (CpuCalculator serial = new CpuCalculator(MODEL, 1)) {
            one = structures.stream().map(serial::compute).toArray(Result[]::new);
        }
        assertTrue(one[0].edges() > 1500, "the large cluster must split into many chunks: " + one[0].edges());
        for (int threads : new int[] {2, 3, 8}) {
            try (CpuCalculator calc = new CpuCalculator(MODEL, threads)) {
                for (int i = 0; i < one.length; i++) {
                    assertSameBits(one[i], calc.compute(structures.get(i)), threads + " threads, structure " + i);
                }
                List<Result> batch = calc.compute(structures);
                for (int i = 0; i < one.length; i++) {
                    assertSameBits(one[i], batch.get(i), threads + " threads, batch, structure " + i);
                }
                assertEquals(Double.doubleToLongBits(one[2].energy()),
                        Double.doubleToLongBits(calc.energy(structures.get(2))));
            }
        }
        try (CpuCalculator common = new CpuCalculator(MODEL)) {
            assertSameBits(one[0], common.compute(structures.get(0)), "common pool");
        }
    }

    @Test
    void messageBackwardGivesTheSameBitsForEveryBatchOfEdges() {
        Structure st = RandomStructures.cluster(60, 0.08, 21);
        NeighborList list = NeighborList.build(st, MODEL.config.cutoff());
        Radial.Edges edges = Radial.forward(MODEL, list.vector);
        int f = MODEL.config.nAtomBasis();
        int n = st.size();
        int e = list.edges();
        Random rnd = new Random(3);
        double[] s = StageCheck.random(rnd, n * f, 1);
        double[] v = StageCheck.random(rnd, n * 3 * f, 1);
        double[] gsOut = StageCheck.random(rnd, n * f, 1);
        double[] gvOut = StageCheck.random(rnd, n * 3 * f, 1);
        Message.Saved saved = Message.forward(MODEL, 1, list, edges, s, v);
        double[][] reference = null;
        for (int threads : new int[] {1, 3}) {
            for (int batch : new int[] {e, 1, 7, 100}) {
                double[] gPhi = StageCheck.random(new Random(9), e * 20, 1);
                double[] gFc = StageCheck.random(new Random(10), e, 1);
                double[] gU = StageCheck.random(new Random(11), 3 * e, 1);
                Message.Grad g;
                try (Team team = new Team(threads)) {
                    g = team.within(
                            () -> Message.backward(MODEL, 1, list, edges, v, saved, gsOut, gvOut, gPhi, gFc, gU, batch));
                }
                double[][] got = {g.gs(), g.gv(), gPhi, gFc, gU};
                if (reference == null) {
                    reference = got;
                } else {
                    for (int t = 0; t < got.length; t++) {
                        assertArrayEquals(reference[t], got[t], threads + " threads, batch " + batch + ", output " + t);
                    }
                }
            }
        }
    }

    @Test
    void neighborSearchOnATeamEqualsTheCommonPools() {
        // 2,600 atoms: three blocks of rows
        Structure big = RandomStructures.cluster(2600, 0.08, 31);
        NeighborList pool = NeighborList.build(big, 5.0);
        NeighborList team;
        try (Team t = new Team(3)) {
            team = t.within(() -> NeighborList.build(big, 5.0, (count, block) -> Parallel.range(count, 1,
                    (from, to) -> {
                        for (int b = from; b < to; b++) {
                            block.accept(b);
                        }
                    })));
        }
        assertArrayEquals(pool.rowStart, team.rowStart);
        assertArrayEquals(pool.neighbor, team.neighbor);
        assertArrayEquals(pool.image, team.image);
        assertArrayEquals(pool.vector, team.vector);
        assertArrayEquals(pool.reverse, team.reverse);
    }

    @Test
    void rangesCoverEveryIndexOnce() {
        try (Team team = new Team(3)) {
            for (int n : new int[] {0, 1, 2, 5, 9, 64, 1001}) {
                for (int minChunk : new int[] {1, 2, 7}) {
                    for (int align : new int[] {1, 4}) {
                        AtomicIntegerArray seen = new AtomicIntegerArray(n);
                        AtomicInteger chunks = new AtomicInteger();
                        team.within(() -> {
                            Parallel.range(n, minChunk, align, (from, to) -> {
                                chunks.incrementAndGet();
                                assertTrue(from < to && from % align == 0, "chunk [" + from + ", " + to + ")");
                                for (int i = from; i < to; i++) {
                                    seen.incrementAndGet(i);
                                }
                            });
                            return null;
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, seen.get(i), "n " + n + ", minChunk " + minChunk + ", index " + i);
                        }
                        assertTrue(chunks.get() <= 12, "at most four chunks per thread: " + chunks.get());
                        if (n >= 2 * minChunk * 12 && align == 1) {
                            assertEquals(12, chunks.get(), "n " + n + ", minChunk " + minChunk);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aFailingChunkFailsTheLoopAndLeavesTheTeamWorking() {
        try (Team team = new Team(2)) {
            IllegalStateException thrown = assertThrows(IllegalStateException.class,
                    () -> team.within(() -> {
                        Parallel.range(100, 1, (from, to) -> {
                            if (from == 0) {
                                throw new IllegalStateException("chunk 0");
                            }
                        });
                        return null;
                    }));
            assertEquals("chunk 0", thrown.getMessage());
            AtomicInteger sum = new AtomicInteger();
            team.within(() -> {
                Parallel.range(100, 1, (from, to) -> sum.addAndGet(to - from));
                return null;
            });
            assertEquals(100, sum.get());
        }
    }

    @Test
    void loopsInsideALoopRunOnTheirChunksThread() {
        try (Team team = new Team(3)) {
            AtomicIntegerArray seen = new AtomicIntegerArray(40 * 40);
            team.within(() -> {
                Parallel.range(40, 1, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        int row = i;
                        Thread outer = Thread.currentThread();
                        Parallel.range(40, 1, (a, b) -> {
                            assertEquals(outer, Thread.currentThread());
                            for (int k = a; k < b; k++) {
                                seen.incrementAndGet(row * 40 + k);
                            }
                        });
                    }
                });
                return null;
            });
            for (int i = 0; i < 40 * 40; i++) {
                assertEquals(1, seen.get(i), "cell " + i);
            }
        }
    }

    @Test
    void manyLoopsFromTwoThreadsAtOnceEachCoverTheirRangeOnce() throws InterruptedException {
        // one thread holds the team while the other's loops run serially, and back: every loop
        // must still cover its range exactly once, and no loop may hang
        try (Team team = new Team(4)) {
            AtomicInteger failures = new AtomicInteger();
            Thread[] callers = new Thread[2];
            for (int t = 0; t < callers.length; t++) {
                long seed = t;
                callers[t] = new Thread(() -> {
                    Random rnd = new Random(seed);
                    for (int loop = 0; loop < 1500; loop++) {
                        int n = rnd.nextInt(200);
                        int[] seen = new int[n];
                        team.within(() -> {
                            Parallel.range(n, 1 + rnd.nextInt(5), (from, to) -> {
                                for (int i = from; i < to; i++) {
                                    seen[i]++;
                                }
                            });
                            return null;
                        });
                        for (int count : seen) {
                            if (count != 1) {
                                failures.incrementAndGet();
                            }
                        }
                    }
                });
                callers[t].start();
            }
            for (Thread c : callers) {
                c.join(60_000);
                assertTrue(!c.isAlive(), "a loop hung");
            }
            assertEquals(0, failures.get());
        }
    }

    private static void assertSameBits(Result a, Result b, String what) {
        assertEquals(Double.doubleToLongBits(a.energy()), Double.doubleToLongBits(b.energy()), what + ": energy");
        assertArrayEquals(a.energies(), b.energies(), what + ": energies");
        assertArrayEquals(a.forces(), b.forces(), what + ": forces");
        assertArrayEquals(a.stress(), b.stress(), what + ": stress");
        assertArrayEquals(a.virial(), b.virial(), what + ": virial");
    }
}
