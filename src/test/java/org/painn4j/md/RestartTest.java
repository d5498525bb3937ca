package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.painn4j.md.MdFixtures.ok;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Result;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.structure.Structure;

/** A run stopped at a checkpoint and restarted ends exactly where an uninterrupted run does. */
class RestartTest {
    @TempDir
    static Path shared;

    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = MdFixtures.writeSmallModel(shared);
    }

    private static String[] args(Path dir, String thermostat, String... more) {
        return args(dir, thermostat, "ethanol.extxyz", 1, more);
    }

    private static String[] args(Path dir, String thermostat, String input, int replicas, String... more) {
        List<String> a = new ArrayList<>(List.of("md", "--model", model.toString(), "--replicas", Integer.toString(replicas),
                "--input", MdFixtures.example(input).toString(), "--device", "cpu",
                "--seed", "5", "--interval", "5", "--thermostat", thermostat,
                "--log", dir.resolve("md.log").toString(), "--trajectory", dir.resolve("md.extxyz").toString()));
        if (thermostat.equals("langevin")) {
            a.addAll(List.of("--friction", "0.02"));
        }
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    /** NVE and Langevin on a molecule, and a periodic box (wrapped positions) with two replicas. */
    @ParameterizedTest
    @CsvSource({"none, ethanol.extxyz, 1", "langevin, ethanol.extxyz, 1", "langevin, water-box.extxyz, 2"})
    void restartRepeatsTheUninterruptedRunBitForBit(String thermostat, String input, int replicas, @TempDir Path dir)
            throws IOException {
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        ok(MdFixtures.main(args(a, thermostat, input, replicas, "--steps", "40",
                "--checkpoint", a.resolve("ck.json").toString(), "--checkpoint-interval", "20")));

        // The interrupted run: a checkpoint at step 20, then a crash somewhere after step 30,
        // having written more log and trajectory than the checkpoint knows of.
        Path ck = b.resolve("ck.json");
        ok(MdFixtures.main(args(b, thermostat, input, replicas, "--steps", "20", "--checkpoint", ck.toString())));
        Path at20 = b.resolve("ck20.json");
        Files.copy(ck, at20);
        ok(MdFixtures.main("md", "--restart", ck.toString(), "--steps", "33", "--device", "cpu"));
        String log0 = replicas == 1 ? "md.log" : "md.r0.log";
        assertNotEquals(MdFixtures.read(a.resolve(log0)).length(), MdFixtures.read(b.resolve(log0)).length());

        ok(MdFixtures.main("md", "--restart", at20.toString(), "--steps", "40", "--device", "cpu"));

        for (int r = 0; r < replicas; r++) {
            String log = ReplicaFiles.path(Path.of("md.log"), r, replicas).toString();
            String traj = ReplicaFiles.path(Path.of("md.extxyz"), r, replicas).toString();
            assertEquals(MdFixtures.read(a.resolve(log)), MdFixtures.read(b.resolve(log)), log);
            assertEquals(MdFixtures.read(a.resolve(traj)), MdFixtures.read(b.resolve(traj)), traj);
            assertEquals(10, MdFixtures.read(a.resolve(log)).lines().count(), "header and steps 0, 5, ..., 40");
        }
        JsonNode ja = new ObjectMapper().readTree(a.resolve("ck.json").toFile());
        JsonNode jb = new ObjectMapper().readTree(ck.toFile());
        assertEquals(40, ja.get("step").asInt());
        assertEquals(40, jb.get("step").asInt());
        for (int r = 0; r < replicas; r++) {
            for (String key : new String[] {"positions", "momenta", "forces", "energy"}) {
                assertEquals(ja.get("replicas").get(r).get(key), jb.get("replicas").get(r).get(key), key);
            }
        }
        assertTrue(Files.notExists(b.resolve("ck.json.tmp")));
    }

    @Test
    void restartRefusesToChangeTheRun(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck.json");
        ok(MdFixtures.main(args(dir, "langevin", "--steps", "5", "--checkpoint", ck.toString())));
        MdFixtures.Run r = MdFixtures.main("md", "--restart", ck.toString(), "--steps", "10", "--dt", "1.0");
        assertEquals(2, r.code());
        assertEquals(List.of("painn4j: --dt 1.0 differs from the checkpoint's 0.5; --restart continues the same run"),
                r.errLines());

        r = MdFixtures.main("md", "--restart", ck.toString(), "--steps", "5");
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("at step 5 already"), r.err());

        Path other = dir.resolve("other.safetensors");
        Files.copy(MdFixtures.example("../painn-test-random.safetensors"), other);
        r = MdFixtures.main("md", "--restart", ck.toString(), "--steps", "10", "--model", other.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("is not the model the run started with"), r.err());

        r = MdFixtures.main("md", "--restart", dir.resolve("missing.json").toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
    }

    /** Files changed since the checkpoint are refused, not cut at a place that is no frame's end. */
    @Test
    void aRestartRefusesFilesChangedSinceTheCheckpoint(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck.json");
        ok(MdFixtures.main(args(dir, "langevin", "--steps", "10", "--checkpoint", ck.toString())));
        Path log = dir.resolve("md.log");
        Path traj = dir.resolve("md.extxyz");

        // a checkpoint whose trajectory length ends inside a frame's line
        Path edited = dir.resolve("edited.json");
        String json = Files.readString(ck);
        long bytes = Files.size(traj);
        String field = "\"trajectory_bytes\"\\s*:\\s*" + bytes + "\\b";
        assertTrue(java.util.regex.Pattern.compile(field).matcher(json).find(), json);
        Files.writeString(edited, json.replaceFirst(field, "\"trajectory_bytes\" : " + (bytes - 7)));
        byte[] before = Files.readAllBytes(traj);
        MdFixtures.Run r = MdFixtures.main("md", "--restart", edited.toString(), "--steps", "20", "--device", "cpu");
        assertEquals(2, r.code(), r.err());
        assertEquals(List.of("painn4j: " + traj + ": its first " + (bytes - 7) + " bytes, its length at the checkpoint,"
                + " do not end with a whole line; the file or the checkpoint was changed since, so the run cannot"
                + " continue it (give another file name to start a new one)"), r.errLines());
        assertArrayEquals(before, Files.readAllBytes(traj));

        Files.delete(log);
        r = MdFixtures.main("md", "--restart", ck.toString(), "--steps", "20", "--device", "cpu");
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("painn4j: " + log + ": is gone, but held "), r.err());
    }

    /** The checkpoint file alone: every double survives the hexadecimal round trip. */
    @Test
    void checkpointRoundTrip(@TempDir Path dir) {
        Path ck = dir.resolve("ck.json");
        ok(MdFixtures.main(args(dir, "langevin", "--steps", "3", "--checkpoint", ck.toString())));
        Checkpoint c = Checkpoint.read(ck);
        Path again = dir.resolve("again.json");
        c.write(again);
        Checkpoint d = Checkpoint.read(again);
        assertEquals(c.step(), d.step());
        MdState s = c.states().get(0);
        MdState t = d.states().get(0);
        assertEquals(3, s.step());
        assertArrayEquals(s.structure().positions(), t.structure().positions(), 0);
        assertArrayEquals(s.momenta(), t.momenta(), 0);
        assertArrayEquals(s.forces(), t.forces(), 0);
        assertEquals(c.config().settings(), d.config().settings());
        assertEquals(c.config().seed(), d.config().seed());
    }

    /**
     * The checkpoint written every --checkpoint-interval steps, not only the one at the end: a run
     * killed at step 27 restarts from its checkpoint of step 20, with its log and trajectory cut
     * back to step 20, and ends as the run that was never interrupted.
     */
    @Test
    void aRunKilledBetweenCheckpointsGoesOnFromTheLastOne(@TempDir Path dir) throws IOException {
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        Calculator calc = new CpuCalculator(MdFixtures.smallModel());
        run(a, calc, 40, null, null);

        Calculator killed = new Calculator() {
            int calls;

            @Override
            public Result compute(Structure s) {
                if (++calls > 1 + 27) {
                    throw new IllegalStateException("killed");
                }
                return calc.compute(s);
            }

            @Override
            public String describe() {
                return calc.describe();
            }
        };
        assertThrows(IllegalStateException.class, () -> run(b, killed, 40, null, null));
        Checkpoint cp = Checkpoint.read(b.resolve("ck.json"));
        assertEquals(20, cp.step());
        assertEquals(7, MdFixtures.read(b.resolve("md.log")).lines().count(), "header and steps 0, 5, ..., 25");
        assertTrue(Files.size(b.resolve("md.log")) > cp.logBytes()[0]);
        assertTrue(Files.size(b.resolve("md.extxyz")) > cp.trajectoryBytes()[0]);

        run(b, calc, 40, cp.states(), new MdRun.Resume(cp.logBytes(), cp.trajectoryBytes()));
        assertEquals(MdFixtures.read(a.resolve("md.log")), MdFixtures.read(b.resolve("md.log")));
        assertEquals(MdFixtures.read(a.resolve("md.extxyz")), MdFixtures.read(b.resolve("md.extxyz")));
        assertEquals(40, Checkpoint.read(b.resolve("ck.json")).step());
    }

    /** Langevin on ethanol, output every 5 steps, a checkpoint every 20; from the start, or from states. */
    private static void run(Path dir, Calculator calc, long steps, List<MdState> from, MdRun.Resume resume) {
        List<MdState> start = from;
        if (start == null) {
            Structure s = MdFixtures.ethanol();
            double[] m = Masses.of(s.numbers());
            start = List.of(MdState.start(s, m, MaxwellBoltzmann.momenta(m, 300, 5), 5));
        }
        MdSettings settings = MdSettings.langevin(0.5, 300, 0.02);
        MdRunConfig config = new MdRunConfig("m", "0", "in", new int[] {0}, settings, MassSource.TABLE, 5, 1, steps,
                5, 20, dir.resolve("md.log").toString(), dir.resolve("md.extxyz").toString(),
                dir.resolve("ck.json").toString(), calc.describe());
        new MdRun(new CpuMdEngine(calc, settings, start), config).run(resume, null);
    }
}
