package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.painn4j.calc.Precision;
import org.painn4j.gpu.GpuCalculator;
import org.painn4j.gpu.GpuTests;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Structure;
import org.painn4j.testing.TestWeights;

/**
 * Replicas on the device in one batched force call per step: each replica's trajectory is, bit
 * for bit, the trajectory it has running alone — molecules of different sizes from different
 * frames, periodic boxes whose atoms wrap, NVE and Langevin, float32 and float64 — a restart
 * from the states repeats the uninterrupted run, and a replica that blows up is named.
 */
@Tag("gpu")
class GpuReplicasTest {

    @BeforeAll
    static void gpu() {
        GpuTests.assumeGpu();
    }

    static Structure example(String name) {
        return ExtXyz.read(MdFixtures.example(name)).get(0).structure();
    }

    /**
     * Three molecules (9, 21, 9 atoms: one batch) and two water boxes (24 atoms: another); in the
     * second box the atom with the largest x is moved near the cell's face and pushed through it.
     */
    static List<MdState> starts(double temperature) {
        Structure ethanol = example("ethanol.extxyz");
        double[] x = ethanol.positions();
        x[0] += 0.05;
        Structure box = example("water-box.extxyz");
        double[] y = box.positions();
        int edge = 0;
        for (int i = 0; i < box.size(); i++) {
            edge = y[3 * i] > y[3 * edge] ? i : edge;
        }
        double shift = 0.99 * box.cell()[0] - y[3 * edge];
        for (int i = 0; i < box.size(); i++) {
            y[3 * i] += shift;
        }
        List<Structure> structures = List.of(ethanol, example("aspirin.extxyz"), ethanol.withPositions(x), box,
                box.withPositions(y));
        List<MdState> starts = new ArrayList<>();
        for (int r = 0; r < structures.size(); r++) {
            Structure s = structures.get(r);
            double[] m = Masses.of(s.numbers());
            double[] p = MaxwellBoltzmann.momenta(m, temperature, 20 + r);
            if (r == 4) {
                p[3 * edge] += 2 * m[edge]; // 2 Å per ASE time unit: through the face in a step or two
            }
            starts.add(new MdState(0, s, m, p, null, 0.0, 20 + r));
        }
        return starts;
    }

    static void assertSameState(MdState alone, MdState batched, String what) {
        assertEquals(alone.step(), batched.step(), what + ": step");
        assertArrayEquals(alone.structure().positions(), batched.structure().positions(), 0.0, what + ": positions");
        assertArrayEquals(alone.momenta(), batched.momenta(), 0.0, what + ": momenta");
        assertArrayEquals(alone.forces(), batched.forces(), 0.0, what + ": forces");
        assertEquals(alone.energy(), batched.energy(), 0.0, what + ": energy");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"none, FLOAT32", "langevin, FLOAT32", "langevin, FLOAT64"})
    void everyReplicaFollowsItsOwnRunAlone(String thermostat, Precision precision) {
        PainnModel model = TestWeights.testRandom();
        MdSettings settings = thermostat.equals("none") ? new MdSettings(0.5, Thermostat.NONE, 0, 0)
                : new MdSettings(0.5, Thermostat.LANGEVIN, 900, 0.05);
        List<MdState> starts = starts(900);
        List<GpuCalculator> made = new ArrayList<>();
        try (GpuCalculator calc = new GpuCalculator(model, precision);
             GpuMdEngine together = new GpuMdEngine(calc, counted(model, precision, made), settings, starts)) {
            assertEquals(1, made.size(), "two batches: the molecules, the water boxes");
            assertTrue(together.describe().contains("3 replicas in one batched force call"), together.describe());
            try (RunsAlone alone = new RunsAlone(model, precision, settings, starts)) {
                boolean wrapped = false;
                double[] before = null;
                for (int block : new int[] {0, 7, 13, 30}) {
                    alone.advanceWith(together, block, thermostat + " " + precision);
                    double[] box = together.state(4).structure().positions();
                    for (int i = 0; before != null && i < box.length; i++) {
                        wrapped |= Math.abs(box[i] - before[i]) > 3;
                    }
                    before = box;
                }
                assertEquals(50, together.step());
                assertNotEquals(together.state(0).structure().positions()[0], together.state(2).structure().positions()[0]);
                assertTrue(wrapped, "an atom of the water box crossed the cell's face and was wrapped");
            }
        }
    }

    /** Makes the calculators of further batches, each also added to `made`. */
    static java.util.function.Supplier<GpuCalculator> counted(PainnModel model, Precision p, List<GpuCalculator> made) {
        return () -> {
            GpuCalculator c = new GpuCalculator(model, p);
            made.add(c);
            return c;
        };
    }

    /** Each replica run alone, on a calculator of its own, to hold the batched run against. */
    static final class RunsAlone implements AutoCloseable {
        private final List<GpuMdEngine> engines = new ArrayList<>();
        private final List<GpuCalculator> calculators = new ArrayList<>();

        RunsAlone(PainnModel model, Precision precision, MdSettings settings, List<MdState> starts) {
            for (MdState s : starts) {
                GpuCalculator c = new GpuCalculator(model, precision);
                calculators.add(c);
                engines.add(new GpuMdEngine(c, () -> null, settings, List.of(s)));
            }
        }

        /** Advances the batch and every run alone by `block` steps; each replica must equal its run alone. */
        void advanceWith(GpuMdEngine together, int block, String what) {
            together.advance(block);
            for (int r = 0; r < engines.size(); r++) {
                engines.get(r).advance(block);
                MdState a = engines.get(r).state(0);
                assertSameState(a, together.state(r), what + ", replica " + r + " at step " + a.step());
            }
        }

        @Override
        public void close() {
            engines.forEach(GpuMdEngine::close);
            calculators.forEach(GpuCalculator::close);
        }
    }

    /**
     * Replicas too large for the single-block search (two periodic boxes of 200 atoms, 189 atoms
     * of aspirin molecules) advance in one batch with one Verlet list, each structure searched by
     * the binned kernels on its own, every step bit-identical to each replica alone.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"none, FLOAT64", "langevin, FLOAT32"})
    void largerReplicasAdvanceInOneBatchToo(String thermostat, Precision precision) {
        PainnModel model = TestWeights.testRandom();
        MdSettings settings = thermostat.equals("none") ? new MdSettings(0.5, Thermostat.NONE, 0, 0)
                : new MdSettings(0.5, Thermostat.LANGEVIN, 600, 0.02);
        Structure box = GpuMdEngineTest.structure("periodic");
        Structure aspirins = org.painn4j.bench.Clusters.molecules(example("aspirin.extxyz"), 200, 2.5);
        List<MdState> starts = List.of(GpuMdEngineTest.start(box, 600, 6), GpuMdEngineTest.start(aspirins, 300, 7),
                GpuMdEngineTest.start(box, 600, 8));
        List<GpuCalculator> made = new ArrayList<>();
        try (GpuCalculator calc = new GpuCalculator(model, precision);
             GpuMdEngine together = new GpuMdEngine(calc, counted(model, precision, made), settings, starts)) {
            assertEquals(0, made.size(), "one batch");
            assertTrue(together.describe().contains("3 replicas in one batched force call and a Verlet list"),
                    together.describe());
            try (RunsAlone alone = new RunsAlone(model, precision, settings, starts)) {
                for (int block : new int[] {0, 9, 31}) {
                    alone.advanceWith(together, block, thermostat + " " + precision);
                }
                assertEquals(40, together.step());
            }
        }
    }

    /**
     * A periodic box of 200 atoms, the only replica of its batch class, keeps a Verlet list and
     * advances alone, beside the batch of molecules.
     */
    @Test
    void aReplicaWithoutPartnersAdvancesAloneBesideTheBatch() {
        PainnModel model = TestWeights.testRandom();
        MdSettings bath = new MdSettings(0.5, Thermostat.LANGEVIN, 600, 0.02);
        Structure ethanol = example("ethanol.extxyz");
        Structure box = GpuMdEngineTest.structure("periodic");
        List<MdState> starts = List.of(GpuMdEngineTest.start(ethanol, 600, 3), GpuMdEngineTest.start(box, 600, 4),
                GpuMdEngineTest.start(ethanol, 600, 5));
        List<GpuCalculator> made = new ArrayList<>();
        try (GpuCalculator calc = new GpuCalculator(model, Precision.FLOAT32);
             GpuMdEngine together = new GpuMdEngine(calc, counted(model, Precision.FLOAT32, made), bath, starts)) {
            assertEquals(1, made.size(), "the molecules' batch, and the box alone");
            assertTrue(together.describe().contains("2 replicas in one batched force call")
                    && together.describe().contains("(2 batches of replicas)"), together.describe());
            together.advance(40);
            for (int r = 0; r < 3; r++) {
                try (GpuCalculator c = new GpuCalculator(model, Precision.FLOAT32);
                     GpuMdEngine alone = new GpuMdEngine(c, () -> null, bath, List.of(starts.get(r)))) {
                    alone.advance(40);
                    assertSameState(alone.state(0), together.state(r), "replica " + r);
                }
            }
        }
    }

    @Test
    void aRestartFromTheStatesRepeatsTheUninterruptedRun() {
        PainnModel model = TestWeights.testRandom();
        MdSettings bath = new MdSettings(0.5, Thermostat.LANGEVIN, 600, 0.02);
        List<MdState> starts = starts(600).subList(0, 3);
        try (GpuCalculator one = new GpuCalculator(model, Precision.FLOAT32);
             GpuCalculator two = new GpuCalculator(model, Precision.FLOAT32)) {
            List<MdState> whole = new ArrayList<>();
            try (GpuMdEngine e = new GpuMdEngine(one, () -> null, bath, starts)) {
                e.advance(60);
                for (int r = 0; r < 3; r++) {
                    whole.add(e.state(r));
                }
            }
            List<MdState> half = new ArrayList<>();
            try (GpuMdEngine e = new GpuMdEngine(two, () -> null, bath, starts)) {
                e.advance(30);
                for (int r = 0; r < 3; r++) {
                    half.add(e.state(r));
                }
            }
            try (GpuMdEngine e = new GpuMdEngine(two, () -> null, bath, half)) {
                e.advance(30);
                for (int r = 0; r < 3; r++) {
                    assertSameState(whole.get(r), e.state(r), "replica " + r);
                }
            }
        }
    }

    @Test
    void aReplicaThatBlowsUpIsNamed() {
        List<MdState> starts = new ArrayList<>(starts(300).subList(0, 3));
        MdState bad = starts.get(1);
        double[] p = bad.momenta();
        p[4] = Double.NaN;
        starts.set(1, new MdState(0, bad.structure(), bad.masses(), p, null, 0.0, bad.seed()));
        try (GpuCalculator calc = new GpuCalculator(TestWeights.testRandom(), Precision.FLOAT32);
             GpuMdEngine md = new GpuMdEngine(calc, () -> null, MdSettings.nve(0.5), starts)) {
            UnstableException e = assertThrows(UnstableException.class, () -> md.advance(10));
            assertEquals(1, e.replica());
            assertEquals(1, e.step());
            assertTrue(e.getMessage().startsWith("step 1, replica 1: "), e.getMessage());
        }
    }

    private static MdFixtures.Run md(Path model, Path dir, String... more) {
        List<String> a = new ArrayList<>(List.of("md", "--model", model.toString(), "--device", "gpu",
                "--interval", "5", "--thermostat", "langevin", "--temperature", "500",
                "--log", dir.resolve("md.log").toString(), "--trajectory", dir.resolve("md.extxyz").toString()));
        a.addAll(List.of(more));
        return MdFixtures.main(a.toArray(new String[0]));
    }

    /** Through the command line: replica k's files are those of the run alone with seed + k; restarts too. */
    @Test
    void replicaFilesAreThoseOfEachRunAloneAndRestartsRepeatThem(@TempDir Path dir) throws IOException {
        Path model = MdFixtures.writeSmallModel(dir);
        Path together = Files.createDirectory(dir.resolve("together"));
        MdFixtures.Run r = md(model, together, "--replicas", "3", "--seed", "11", "--steps", "40",
                "--checkpoint", together.resolve("ck.json").toString(), "--checkpoint-interval", "20");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 replicas in one batched force call"), r.out());
        for (int k = 0; k < 3; k++) {
            Path alone = Files.createDirectory(dir.resolve("alone" + k));
            MdFixtures.Run single = md(model, alone, "--seed", Integer.toString(11 + k), "--steps", "40");
            assertEquals(0, single.code(), single.err());
            assertEquals(MdFixtures.read(alone.resolve("md.extxyz")), MdFixtures.read(together.resolve("md.r" + k + ".extxyz")),
                    "replica " + k);
            assertEquals(MdFixtures.read(alone.resolve("md.log")), MdFixtures.read(together.resolve("md.r" + k + ".log")),
                    "replica " + k);
        }
        Path resumed = Files.createDirectory(dir.resolve("resumed"));
        Path ck = resumed.resolve("ck.json");
        assertEquals(0, md(model, resumed, "--replicas", "3", "--seed", "11", "--steps", "20", "--checkpoint",
                ck.toString()).code());
        MdFixtures.Run again = MdFixtures.main("md", "--restart", ck.toString(), "--steps", "40", "--device", "gpu");
        assertEquals(0, again.code(), again.err());
        for (int k = 0; k < 3; k++) {
            assertEquals(MdFixtures.read(together.resolve("md.r" + k + ".extxyz")),
                    MdFixtures.read(resumed.resolve("md.r" + k + ".extxyz")), "replica " + k + " after the restart");
            assertEquals(MdFixtures.read(together.resolve("md.r" + k + ".log")),
                    MdFixtures.read(resumed.resolve("md.r" + k + ".log")), "replica " + k + " after the restart");
        }
    }
}
