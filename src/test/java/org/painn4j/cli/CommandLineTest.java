package org.painn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.InputException;
import org.painn4j.gpu.Gpu;

/** What every command shares: one-line refusals, the summaries of --help, --version. */
class CommandLineTest {
    static final String MODEL = "weights/painn-test-random.safetensors";
    static final String ETHANOL = "weights/examples/ethanol.extxyz";

    @Test
    void gradcheckOnAMissingGpuIsOneLine() {
        assumeFalse(Gpu.available(), "this machine has a GPU");
        CliRun r = CliRun.of("gradcheck", "--model", MODEL, "--input", ETHANOL, "--device", "gpu");
        assertEquals(Main.GPU_FAILURE, r.code(), r.err());
        assertTrue(r.errLine().startsWith("painn4j: GPU: --device gpu: no CUDA device is available"), r.err());
        assertFalse(r.errLine().contains("\n"), r.err());
    }

    /** No device for --device gpu is a GPU failure (exit code 3, as README says), for every command. */
    @Test
    void aMissingGpuIsExitCodeThreeForEveryCommand(@TempDir Path dir) {
        assumeFalse(Gpu.available(), "this machine has a GPU");
        String[][] runs = {
            {"energy", "--model", MODEL, "--input", ETHANOL, "--output", dir.resolve("o.extxyz").toString()},
            {"md", "--model", MODEL, "--input", ETHANOL, "--log", dir.resolve("x.log").toString(),
                "--trajectory", dir.resolve("x.extxyz").toString()},
            {"gradcheck", "--model", MODEL, "--input", ETHANOL},
            {"ipi", "--model", MODEL, "--input", ETHANOL, "--port", "1", "--connect-timeout", "0"},
            {"bench", "--model", MODEL, "--sizes", "5"},
        };
        for (String[] run : runs) {
            String[] args = java.util.Arrays.copyOf(run, run.length + 2);
            args[run.length] = "--device";
            args[run.length + 1] = "gpu";
            CliRun r = CliRun.of(args);
            assertEquals(Main.GPU_FAILURE, r.code(), run[0] + ": " + r.err());
            assertTrue(r.errLine().startsWith("painn4j: GPU: " + (run[0].equals("bench") ? "bench " : "")
                    + "--device gpu: no CUDA device is available ("), run[0] + ": " + r.err());
            assertFalse(r.errLine().contains("\n"), run[0] + ": " + r.err());
        }
    }

    @Test
    void benchRefusesSizesBelowOneAndFloat32OnTheCpu() {
        CliRun r = CliRun.of("bench", "--model", MODEL, "--device", "cpu", "--sizes", "5,-5");
        assertEquals(2, r.code(), r.err());
        assertEquals("painn4j: --sizes: an atom count must be at least 1, got -5", r.errLine());
        r = CliRun.of("bench", "--model", MODEL, "--device", "cpu", "--sizes", "0");
        assertEquals("painn4j: --sizes: an atom count must be at least 1, got 0", r.errLine());
        r = CliRun.of("bench", "--model", MODEL, "--device", "cpu", "--precision", "float32", "--sizes", "5");
        assertEquals(2, r.code(), r.err());
        assertEquals("painn4j: --precision float32 needs the GPU; the CPU engine computes in float64", r.errLine());
    }

    /** Counts and times that would time nothing, or never end, are refused before any work. */
    @Test
    void benchRefusesCountsAndTimesThatRunNothingOrNeverEnd() {
        String[][] cases = {
            {"--seconds", "NaN", "--seconds must be a finite number of seconds > 0, got NaN"},
            {"--seconds", "Infinity", "--seconds must be a finite number of seconds > 0, got Infinity"},
            {"--seconds", "-1", "--seconds must be a finite number of seconds > 0, got -1.0"},
            {"--seconds", "0", "--seconds must be a finite number of seconds > 0, got 0.0"},
            {"--calls", "0", "--calls must be at least 1, got 0"},
            {"--calls", "-1", "--calls must be at least 1, got -1"},
            {"--sizes", ",", "--sizes: give at least one atom count"},
            {"--replicas", "0", "--replicas must be at least 1, got 0"},
        };
        for (String[] c : cases) {
            // without the check, NaN and Infinity time forever: fail instead of hanging the suite
            // a repeated --sizes adds to the list, so the case's own --sizes stands alone
            String sizes = c[0].equals("--sizes") ? "--seed" : "--sizes";
            CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> CliRun.of("bench", "--model", MODEL,
                    "--device", "cpu", sizes, "5", c[0], c[1]));
            assertEquals(2, r.code(), c[0] + " " + c[1] + ": " + r.err());
            assertEquals("painn4j: " + c[2], r.errLine(), c[0] + " " + c[1]);
            assertEquals("", r.out(), "nothing timed");
        }
    }

    /** A flag that picks among the GPU's paths is refused with --device cpu, not ignored. */
    @Test
    void benchRefusesGpuOnlyFlagsOnTheCpu() {
        for (String flag : new String[] {"--fused", "--tiled-messages", "--unsplit-messages", "--direct-layer0",
            "--binned-search", "--no-graph", "--profile"}) {
            CliRun r = CliRun.of("bench", "--model", MODEL, "--device", "cpu", "--sizes", "5", "--calls", "3",
                    "--seconds", "0.01", flag);
            assertEquals(2, r.code(), flag + ": " + r.err());
            assertEquals("painn4j: " + flag + " needs the GPU; the CPU engine has no such choice", r.errLine());
            assertEquals("", r.out(), "nothing timed");
        }
    }

    /** auto without a GPU times the CPU, so it refuses GPU-only flags as it refuses float32, and says why. */
    @Test
    void benchOnAutoWithoutAGpuRefusesGpuOnlyFlagsLikeFloat32() {
        assumeFalse(Gpu.available(), "this machine has a GPU");
        for (String[] extra : new String[][] {{"--fused"}, {"--precision", "float32"}}) {
            String[] args = {"bench", "--model", MODEL, "--device", "auto", "--sizes", "5", "--calls", "3",
                "--seconds", "0.01", extra[0], extra.length > 1 ? extra[1] : "--no-graph"};
            CliRun r = CliRun.of(args);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.errLine().startsWith("painn4j: " + String.join(" ", extra) + " needs the GPU; the CPU engine "),
                    r.err());
            assertTrue(r.errLine().contains("(--device auto: no CUDA device, "), r.err());
            assertFalse(r.errLine().contains("\n"), r.err());
        }
    }

    /** A --json file that cannot be written is refused before the timing, not after it. */
    @Test
    void benchRefusesAnUnwritableJsonBeforeTiming(@TempDir Path dir) {
        Path missing = dir.resolve("no/such/dir/r.json");
        String[][] cases = {
            {missing.toString(), "painn4j: --json " + missing + ": cannot write: no such directory"},
            {dir.toString(), "painn4j: --json " + dir + ": cannot write: it is a directory"},
        };
        for (String[] c : cases) {
            CliRun r = CliRun.of("bench", "--model", MODEL, "--device", "cpu", "--sizes", "5", "--calls", "3",
                    "--seconds", "0.01", "--json", c[0]);
            assertEquals(2, r.code(), r.err());
            assertEquals(c[1], r.errLine());
            assertEquals("", r.out(), "nothing timed");
        }
    }

    @Test
    void benchChecksTheJsonWithoutLeavingAFileBehind(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("r.json");
        CliRun r = CliRun.of("bench", "--model", dir.resolve("missing.safetensors").toString(), "--device", "cpu",
                "--sizes", "5", "--json", json.toString());
        assertEquals(2, r.code(), r.err());
        assertFalse(Files.exists(json), "the check left " + json);
        r = CliRun.of("bench", "--model", MODEL, "--device", "cpu", "--sizes", "5", "--calls", "3",
                "--seconds", "0.01", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(json).contains("\"results\""), "the report is written");
    }

    /** A failure at write time (the directory gone during the run, a full disk) is one line naming the file. */
    @Test
    void benchJsonWriteFailureNamesTheFile(@TempDir Path dir) {
        Path gone = dir.resolve("gone/r.json");
        InputException e = assertThrows(InputException.class,
                () -> BenchCommand.writeJson(gone, Map.of("results", List.of())));
        assertEquals("--json " + gone + ": cannot write: no such directory", e.getMessage());
    }

    @Test
    void anEmptyFileNameIsRefusedByItsOption() {
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", "", "--output", "out.extxyz", "--device", "cpu");
        assertEquals(2, r.code(), r.err());
        assertEquals("painn4j: Invalid value for option '--input': '' is no file name; see 'painn4j energy --help'",
                r.errLine());
        r = CliRun.of("md", "--model", " ", "--device", "cpu");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.errLine().startsWith("painn4j: Invalid value for option '--model': ' ' is no file name"), r.err());
    }

    @Test
    void benchTakesAutoLikeEveryOtherCommand() {
        assumeFalse(Gpu.available(), "this machine has a GPU");
        CliRun r = CliRun.of("bench", "--model", MODEL, "--device", "auto", "--sizes", "5", "--calls", "3",
                "--seconds", "0.01");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("cpu ("), r.out());
    }

    /** The list of commands shows each one's whole summary sentence, not a cut line. */
    @Test
    void topLevelHelpGivesWholeSummaries() {
        CliRun r = CliRun.of("--help");
        assertEquals(0, r.code(), r.err());
        for (String name : new String[] {"md", "energy", "info", "gradcheck", "bench", "ipi"}) {
            String line = r.out().lines().filter(l -> l.startsWith("  " + name + " ")).findFirst().orElseThrow();
            int at = r.out().indexOf(line) + line.length() + 1;
            String summary = line.substring(name.length() + 2).strip();
            // the summary may wrap onto indented lines; it ends with a full stop
            String rest = r.out().substring(at).lines().takeWhile(l -> l.startsWith("      ")).reduce("", (a, b) -> a + " " + b.strip());
            assertTrue((summary + rest).strip().endsWith("."), name + ": '" + summary + rest + "'");
        }
    }

    @Test
    void everyCommandPrintsTheVersion() {
        for (String name : new String[] {"md", "energy", "info", "gradcheck", "bench", "ipi"}) {
            CliRun r = CliRun.of(name, "--version");
            assertEquals(0, r.code(), r.err());
            assertFalse(r.out().isBlank(), name + " --version printed nothing");
        }
    }
}
