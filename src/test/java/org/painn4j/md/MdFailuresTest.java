package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.painn4j.md.MdFixtures.ok;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.painn4j.InputException;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Structure;

/**
 * How a run ends when something other than the physics goes wrong: files that cannot be written,
 * checkpoints that are not valid, a replica whose structure is refused. Always exit code 2 and
 * one line that says what and where, never a stack trace, and no finished output lost.
 */
class MdFailuresTest {
    @TempDir
    static Path shared;

    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = MdFixtures.writeSmallModel(shared);
    }

    private static List<String> args(Path dir, String... more) {
        List<String> a = new ArrayList<>(List.of("md", "--model", model.toString(), "--device", "cpu",
                "--input", MdFixtures.example("ethanol.extxyz").toString(),
                "--log", dir.resolve("md.log").toString(), "--trajectory", dir.resolve("md.extxyz").toString()));
        a.addAll(List.of(more));
        return a;
    }

    private static MdFixtures.Run md(Path dir, String... more) {
        return MdFixtures.main(args(dir, more).toArray(new String[0]));
    }

    private static String refused(MdFixtures.Run r) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("painn4j: "), r.err());
        return r.errLines().get(0);
    }

    // ---- files that cannot be written once they are open (a full disk) ----

    private static boolean devFull() {
        return Files.isWritable(Path.of("/dev/full"));
    }

    @Test
    void aLogOnAFullDiskIsOneLine(@TempDir Path dir) {
        assumeTrue(devFull(), "no /dev/full here");
        MdFixtures.Run r = MdFixtures.main("md", "--model", model.toString(), "--device", "cpu", "--steps", "5",
                "--log", "/dev/full", "--trajectory", dir.resolve("t.extxyz").toString());
        assertEquals("painn4j: /dev/full: cannot write: No space left on device", refused(r));
    }

    @Test
    void aTrajectoryOnAFullDiskIsOneLine(@TempDir Path dir) {
        assumeTrue(devFull(), "no /dev/full here");
        MdFixtures.Run r = MdFixtures.main("md", "--model", model.toString(), "--device", "cpu", "--steps", "5",
                "--log", dir.resolve("t.log").toString(), "--trajectory", "/dev/full");
        assertEquals("painn4j: /dev/full: cannot write: No space left on device", refused(r));
    }

    @Test
    void aLogThatCannotBeWrittenIsAnInputExceptionNamingIt() {
        java.io.Writer broken = new java.io.Writer() {
            @Override
            public void write(char[] cbuf, int off, int len) throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        MdLog log = new MdLog(broken, "/data/md.log", 9);
        InputException e = assertThrows(InputException.class, log::header);
        assertEquals("/data/md.log: cannot write: No space left on device", e.getMessage());
    }

    /**
     * A file that fails mid-run: a pipe whose reader goes away after ten lines (EPIPE, as a
     * disk that fills up hours into a run). The message names the file and what is kept, and the
     * other file is cut back to its last complete output, so it matches the message exactly.
     */
    @ParameterizedTest
    @ValueSource(strings = {"log", "trajectory"})
    void aFileThatFailsMidRunKeepsTheFinishedOutput(String failing, @TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("pipe");
        try {
            Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
            assumeTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "no mkfifo here");
        } catch (IOException e) {
            assumeTrue(false, "no mkfifo here");
        }
        Thread reader = new Thread(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                // ten lines, then away: every later write fails
                int c;
                int lines = 0;
                while (lines < 10 && (c = in.read()) != -1) {
                    lines += c == '\n' ? 1 : 0;
                }
            } catch (IOException e) {
                // the test's assertions tell
            }
        });
        reader.setDaemon(true);
        reader.start();
        boolean logFails = failing.equals("log");
        Path log = logFails ? fifo : dir.resolve("md.log");
        Path traj = logFails ? dir.resolve("md.extxyz") : fifo;
        double[] x = {0, 0, 0, 0.8, 0, 0};
        Structure h2 = Structure.molecule(new int[] {1, 1}, x);
        MdState start = MdState.start(h2, Masses.of(h2.numbers()), new double[] {0.1, 0, 0, -0.1, 0.05, 0}, 0);
        CpuMdEngine engine = new CpuMdEngine(new HarmonicCalculator(x, 1.0), MdSettings.nve(0.5), List.of(start));
        MdRunConfig config = new MdRunConfig("m", "0", "in", new int[] {0}, MdSettings.nve(0.5), MassSource.TABLE,
                0, 1, 2_000_000, 1, 1, log.toString(), traj.toString(), null, "harmonic");
        InputException e = assertThrows(InputException.class, () -> new MdRun(engine, config).run(null, null));
        reader.join(10_000);
        String message = e.getMessage();
        assertFalse(message.contains("\n"), message);
        assertTrue(message.startsWith(fifo + ": cannot write: "), message);
        Matcher m = Pattern.compile("; the trajectory up to step (\\d+) is kept in (.*)$").matcher(message);
        if (logFails) {
            assertTrue(m.find(), message);
            long kept = Long.parseLong(m.group(1));
            assertEquals(traj.toString(), m.group(2));
            var frames = ExtXyz.read(traj);
            assertEquals(kept + 1, frames.size(), "steps 0.." + kept);
            assertEquals(Long.toString(kept), frames.get(frames.size() - 1).info().get("step"));
        } else {
            // the log has its header and one line per complete output, none for the frame that failed
            long lines = Files.readAllLines(log).size();
            if (m.find()) {
                assertEquals(Long.parseLong(m.group(1)) + 2, lines, message);
            } else {
                assertEquals(1, lines, message);
            }
        }
    }

    // ---- checkpoints ----

    /** A checkpoint edited in one field is refused in one line, and the files are not touched. */
    @Test
    void checkpointsAreValidatedFieldByField(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck.json");
        ok(md(dir, "--steps", "30", "--interval", "10", "--checkpoint", ck.toString()));
        String logBefore = MdFixtures.read(dir.resolve("md.log"));
        String trajBefore = MdFixtures.read(dir.resolve("md.extxyz"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode good = (ObjectNode) json.readTree(ck.toFile());
        JsonNodeFactory f = JsonNodeFactory.instance;
        List<Object[]> cases = List.of(
                edit("interval 0", d -> cfg(d).put("interval", 0), "interval is 0"),
                edit("checkpoint_interval 0", d -> cfg(d).put("checkpoint_interval", 0), "checkpoint_interval is 0"),
                edit("negative step", d -> d.put("step", -5), "step is -5"),
                edit("step as text", d -> d.put("step", "abc"), "step is \"abc\""),
                edit("fractional step", d -> d.put("step", 30.5), "step is 30.5"),
                edit("log_bytes -1", d -> rep(d).put("log_bytes", -1), "replica 0: log_bytes is -1"),
                edit("trajectory_bytes -1", d -> rep(d).put("trajectory_bytes", -1), "replica 0: trajectory_bytes is -1"),
                edit("log null", d -> cfg(d).putNull("log"), "no 'log'"),
                edit("trajectory null", d -> cfg(d).putNull("trajectory"), "no 'trajectory'"),
                edit("negative mass", d -> ((ArrayNode) rep(d).get("masses")).set(0, f.textNode("-0x1.805a1cac08312p3")),
                        "replica 0: masses[0] is -12.011, not 12.011"),
                edit("deuterium", d -> ((ArrayNode) rep(d).get("masses")).set(3, f.textNode("0x1.0p1")),
                        "replica 0: masses[3] is 2.0, not 1.008"),
                edit("masses from nowhere", d -> cfg(d).put("masses", "file"), "masses is \"file\", not table or input"),
                edit("masses as a number", d -> cfg(d).put("masses", 1), "masses is 1, not text"),
                edit("negative input mass", d -> {
                    cfg(d).put("masses", "input");
                    ((ArrayNode) rep(d).get("masses")).set(1, f.textNode("-0x1.0p1"));
                }, "replica 0: masses[1] is -2.0, not a positive mass"),
                edit("atomic number 200", d -> ((ArrayNode) rep(d).get("numbers")).set(0, f.numberNode(200)),
                        "replica 0: numbers[0] is 200"),
                edit("atomic number as text", d -> ((ArrayNode) rep(d).get("numbers")).set(0, f.textNode("6")),
                        "replica 0: numbers[0] is \"6\""),
                edit("position NaN", d -> ((ArrayNode) rep(d).get("positions")).set(4, f.textNode("NaN")),
                        "replica 0: positions[4] is NaN"),
                edit("momentum infinite", d -> ((ArrayNode) rep(d).get("momenta")).set(0, f.textNode("Infinity")),
                        "replica 0: momenta[0] is Infinity"),
                edit("force NaN", d -> ((ArrayNode) rep(d).get("forces")).set(2, f.textNode("NaN")),
                        "replica 0: forces[2] is NaN"),
                edit("energy infinite", d -> rep(d).put("energy", "-Infinity"), "replica 0: energy is -Infinity"),
                edit("pbc of two", d -> rep(d).putArray("pbc").add(false).add(false), "replica 0: pbc must be a list of 3"),
                edit("pbc as text", d -> rep(d).putArray("pbc").add("F").add("F").add("F"), "replica 0: pbc[0] is \"F\""),
                edit("replica seed", d -> rep(d).put("seed", 99), "replica 0: seed 99"));
        for (Object[] c : cases) {
            ObjectNode d = good.deepCopy();
            @SuppressWarnings("unchecked")
            Consumer<ObjectNode> change = (Consumer<ObjectNode>) c[1];
            change.accept(d);
            Path bad = dir.resolve("bad.json");
            json.writeValue(bad.toFile(), d);
            String line = refused(MdFixtures.main("md", "--restart", bad.toString(), "--steps", "40", "--device", "cpu"));
            String expected = "painn4j: " + bad + ": not a valid painn4j checkpoint (" + c[2];
            assertTrue(line.startsWith(expected), c[0] + ": " + line);
            assertTrue(line.endsWith(")"), c[0] + ": " + line);
            assertEquals(logBefore, MdFixtures.read(dir.resolve("md.log")), c[0].toString());
            assertEquals(trajBefore, MdFixtures.read(dir.resolve("md.extxyz")), c[0].toString());
        }
        // and the checkpoint as written is still good
        ok(MdFixtures.main("md", "--restart", ck.toString(), "--steps", "40", "--device", "cpu"));
    }

    private static Object[] edit(String name, Consumer<ObjectNode> change, String expected) {
        return new Object[] {name, change, expected};
    }

    private static ObjectNode cfg(ObjectNode d) {
        return (ObjectNode) d.get("config");
    }

    private static ObjectNode rep(ObjectNode d) {
        return (ObjectNode) d.get("replicas").get(0);
    }

    /** What MdRun's constructor refuses is refused as the checkpoint's fault too, never a stack trace. */
    @Test
    void aCheckpointTheRunCannotTakeIsOneLine(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck.json");
        ok(md(dir, "--steps", "10", "--interval", "5", "--checkpoint", ck.toString()));
        ObjectMapper json = new ObjectMapper();
        ObjectNode d = (ObjectNode) json.readTree(ck.toFile());
        // a huge momentum: finite, but its kinetic energy is not
        ((ArrayNode) rep(d).get("momenta")).set(0, JsonNodeFactory.instance.textNode("0x1.0p600"));
        Path bad = dir.resolve("bad.json");
        json.writeValue(bad.toFile(), d);
        String line = refused(MdFixtures.main("md", "--restart", bad.toString(), "--steps", "20", "--device", "cpu"));
        assertTrue(line.startsWith("painn4j: " + bad + ": step 10: the kinetic energy is not finite"), line);
    }

    /** docs/md.md: --temperature and --friction must equal the checkpoint's; an NVE run has neither. */
    @Test
    void anNveRestartRefusesATemperatureOrFriction(@TempDir Path dir) {
        Path ck = dir.resolve("ck.json");
        ok(md(dir, "--steps", "10", "--interval", "5", "--checkpoint", ck.toString()));
        assertEquals("painn4j: --temperature 5000.0 cannot be given to continue an NVE run, which has no bath;"
                        + " --restart continues the same run",
                refused(MdFixtures.main("md", "--restart", ck.toString(), "--steps", "20", "--temperature", "5000")));
        assertTrue(refused(MdFixtures.main("md", "--restart", ck.toString(), "--steps", "20", "--friction", "3"))
                .startsWith("painn4j: --friction 3.0 cannot be given to continue an NVE run"));
        ok(MdFixtures.main("md", "--restart", ck.toString(), "--steps", "20", "--device", "cpu"));
    }

    /** A restart that stops before its next output has no mean temperature, as it has no drift. */
    @Test
    void aRunWithoutOutputSaysNotApplicable(@TempDir Path dir) {
        Path ck = dir.resolve("ck.json");
        ok(md(dir, "--steps", "30", "--interval", "10", "--checkpoint", ck.toString()));
        MdFixtures.Run r = MdFixtures.main("md", "--restart", ck.toString(), "--steps", "35", "--device", "cpu");
        ok(r);
        assertTrue(r.out().contains("energy drift n/a (fewer than two outputs); mean T n/a"), r.out());
        assertFalse(r.out().contains("NaN"), r.out());
    }

    /** An unwritable --checkpoint is refused before the first step, not when the first checkpoint is due. */
    @Test
    void anUnwritableCheckpointIsRefusedBeforeTheFirstStep(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("no-such-dir").resolve("ck.json");
        String line = refused(md(dir, "--steps", "50", "--checkpoint", missing.toString()));
        assertEquals("painn4j: " + missing.toAbsolutePath() + ": cannot write the checkpoint: no such directory", line);
        assertFalse(Files.exists(dir.resolve("md.log")), "no step was run");

        Path directory = Files.createDirectory(dir.resolve("a-directory"));
        line = refused(md(dir, "--steps", "50", "--checkpoint", directory.toString()));
        assertEquals("painn4j: " + directory.toAbsolutePath() + ": cannot write the checkpoint: it is a directory", line);
        assertFalse(Files.exists(dir.resolve("md.log")), "no step was run");
        assertFalse(Files.exists(dir.resolve("a-directory.tmp")), "no stray temporary file");

        // a good one: the probe leaves nothing behind but the checkpoint itself
        Path ck = dir.resolve("ck.json");
        ok(md(dir, "--steps", "5", "--checkpoint", ck.toString()));
        assertTrue(Files.exists(ck));
        assertFalse(Files.exists(dir.resolve("ck.json.tmp")));
    }

    // ---- replicas: whose structure was refused ----

    /** Replica 1 starts from frame 1, which begins at line 5 and has two atoms on one spot. */
    @Test
    void aRefusedStartingFrameOfAReplicaIsNamed(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("two.extxyz");
        Files.writeString(in, "2\nProperties=species:S:1:pos:R:3 pbc=\"F F F\"\nH 0 0 0\nH 0.74 0 0\n"
                + "3\nProperties=species:S:1:pos:R:3 pbc=\"F F F\"\nO 0 0 0\nH 0.96 0 0\nH 0.96 0 0\n");
        String line = refused(MdFixtures.main("md", "--model", model.toString(), "--device", "cpu", "--input",
                in.toString(), "--replicas", "2", "--steps", "5", "--log", dir.resolve("o.log").toString(),
                "--trajectory", dir.resolve("o.extxyz").toString()));
        assertTrue(line.startsWith("painn4j: " + in + ": frame 1 (lines 8 and 9): atoms 1 and 2 are at the same position"),
                line);
    }

    /** Replica 1's two atoms meet at step 3 (the collision of BadInputTest); replica 0 is fine. */
    @Test
    void aReplicaRefusedMidRunIsNamed(@TempDir Path dir) throws IOException {
        double dt = 0.5 * MdUnits.FS;
        double m = 1.008;
        double p = 6.0 * m / dt;
        double x = 0;
        for (int step = 0; step < 3; step++) {
            x = x + dt * p / m;
        }
        Path in = dir.resolve("collide2.extxyz");
        String header = "2\nProperties=species:S:1:pos:R:3:momenta:R:3 pbc=\"F F F\"\n";
        Files.writeString(in, header + "H 0 0 0 0 0 0\nH 0.74 0 0 0 0 0\n"
                + header + "H 0.0 0.0 0.0 " + p + " 0.0 0.0\nH " + x + " 0.0 0.0 0.0 0.0 0.0\n");
        Path traj = dir.resolve("c.extxyz");
        String line = refused(MdFixtures.main("md", "--model", model.toString(), "--device", "cpu", "--input",
                in.toString(), "--replicas", "2", "--steps", "10", "--interval", "1", "--log",
                dir.resolve("c.log").toString(), "--trajectory", traj.toString()));
        assertTrue(line.startsWith("painn4j: step 3, replica 1: atoms 0 and 1 are at the same position"), line);
        assertTrue(line.contains("the trajectory up to step 2 is kept in "), line);
        assertEquals(3, ExtXyz.read(dir.resolve("c.r1.extxyz")).size());
    }
}
