package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    private static void ok(MdFixtures.Run r) {
        assertEquals(0, r.code(), r.err());
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
        MdRunConfig config = new MdRunConfig("m", "0", "in", new int[] {0}, MdSettings.nve(0.5), 0, 1, 2_000_000, 1, 1,
                log.toString(), traj.toString(), null, "harmonic");
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
}
