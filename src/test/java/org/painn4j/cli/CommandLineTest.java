package org.painn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;
import org.painn4j.gpu.Gpu;

/** What every command shares: one-line refusals, the summaries of --help, --version. */
class CommandLineTest {
    static final String MODEL = "weights/painn-test-random.safetensors";
    static final String ETHANOL = "weights/examples/ethanol.extxyz";

    @Test
    void gradcheckOnAMissingGpuIsOneLine() {
        assumeFalse(Gpu.available(), "this machine has a GPU");
        CliRun r = CliRun.of("gradcheck", "--model", MODEL, "--input", ETHANOL, "--device", "gpu");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.errLine().startsWith("painn4j: --device gpu: no CUDA device is available"), r.err());
        assertFalse(r.errLine().contains("\n"), r.err());
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
