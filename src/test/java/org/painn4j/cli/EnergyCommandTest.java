package org.painn4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.painn4j.calc.Result;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import org.painn4j.structure.Structure;

class EnergyCommandTest {
    @TempDir
    Path dir;

    static final String MODEL = "tests-gradcheck/reference/models/model_a.safetensors";

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void writesEnergyForcesAndStressAsAseDoes() {
        Path out = dir.resolve("out.extxyz");
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", "tests-gradcheck/reference/structures/nacl_cubic.extxyz",
                "--output", out.toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        List<Frame> frames = ExtXyz.read(out);
        assertEquals(1, frames.size());
        Frame f = frames.get(0);
        assertNotNull(f.energy());
        assertTrue(f.hasForces());
        assertTrue(f.hasStress(), "a fully periodic frame gets a stress");
        assertTrue(r.err().contains("1 frame evaluated (cpu float64)"), r.err());
        // what the engine computed, written so that it reads back to the same bits
        Structure s = ExtXyz.read(Path.of("tests-gradcheck/reference/structures/nacl_cubic.extxyz")).get(0).structure();
        Result want = new CpuCalculator(PainnModel.load(Path.of(MODEL))).compute(s);
        assertEquals(want.energy(), f.energy(), 0.0);
        assertArrayEquals(want.forces(), f.forces(), 0.0);
        assertArrayEquals(want.stress(), f.stress(), 0.0);
    }

    @Test
    void moleculesGetNoStress() {
        Path out = dir.resolve("out.extxyz");
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", "weights/examples/ethanol.extxyz",
                "--output", out.toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertNull(ExtXyz.read(out).get(0).stress());
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"md", "energy", "info", "gradcheck", "ipi", "bench"}) {
            CliRun r = CliRun.of(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().contains("Usage: painn4j " + cmd), r.out());
        }
        assertEquals(0, CliRun.of("--help").code());
    }

    @Test
    void infoPrintsConfigurationAndParameterCount() {
        CliRun r = CliRun.of("info", "--model", "weights/painn-test-random.safetensors");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("n_atom_basis (F)     128"), r.out());
        assertTrue(r.out().contains("readout              128 -> 64 -> 1"), r.out());
        assertTrue(r.out().contains("parameters           589,057"), r.out());
    }

    @Test
    void gradcheckPrintsATableAndFailsPastTheTolerance() {
        CliRun ok = CliRun.of("gradcheck", "--model", MODEL, "--input", "tests-gradcheck/reference/structures/tiny_cell.extxyz",
                "--device", "cpu");
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertTrue(ok.out().contains("cpu float64"), ok.out());
        assertTrue(ok.out().contains("PASS"), ok.out());
        CliRun tight = CliRun.of("gradcheck", "--model", MODEL, "--input", "tests-gradcheck/reference/structures/tiny_cell.extxyz",
                "--device", "cpu", "--tolerance", "1e-16");
        assertEquals(1, tight.code(), tight.out());
        assertTrue(tight.out().contains("FAIL"), tight.out());
    }

    @Test
    void float32OnTheCpuIsRefused() {
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", "weights/examples/ethanol.extxyz",
                "--output", dir.resolve("o.extxyz").toString(), "--device", "cpu", "--precision", "float32");
        assertEquals(Main.BAD_INPUT, r.code());
        assertEquals("painn4j: --precision float32 needs the GPU; the CPU engine computes in float64", r.errLine());
    }

    private Frame energyOf(String name, String text) throws IOException {
        Path in = write(name + ".extxyz", text);
        Path out = dir.resolve(name + ".out.extxyz");
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                "--device", "cpu");
        assertEquals(0, r.code(), name + ": " + r.err());
        List<Frame> frames = ExtXyz.read(out);
        assertEquals(1, frames.size());
        return frames.get(0);
    }

    /** ASE writes slabs and wires with zero cell rows along their open axes; those rows never matter. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "slab | T T F | 4.92 0 0 -2.46 4.260845 0 0 0 0   | 4.92 0 0 -2.46 4.260845 0 0.3 -0.2 7.5",
        "wire | F F T | 0 0 0 0 0 0 0 0 2.5                | 9 0 0 0 8 1 0 0 2.5",
    })
    void openAxesMayHaveZeroCellRows(String what, String pbc, String zeroRows, String fullRows) throws IOException {
        String atoms = "C 0.1 0.2 0.05\nC 1.33 0.9 -0.1\nC 2.5 -0.3 0.4\nC -1.1 2.2 0.0\n";
        Frame zero = energyOf(what + "-zero", "4\nLattice=\"" + zeroRows + "\" pbc=\"" + pbc + "\"\n" + atoms);
        Frame full = energyOf(what + "-full", "4\nLattice=\"" + fullRows + "\" pbc=\"" + pbc + "\"\n" + atoms);
        assertNotNull(zero.energy());
        assertEquals(full.energy(), zero.energy(), what);
        assertArrayEquals(full.forces(), zero.forces(), what);
        assertNull(zero.stress(), "stress only for fully periodic frames");
    }

    /**
     * SPEC §1 defines E for every structure: a frame in which no atom has a neighbor (one atom,
     * atoms far apart, a periodic cell larger than the cutoff) has the energy of its atoms alone
     * and zero forces, and zero stress when fully periodic; in a batch with others or alone.
     */
    @Test
    void framesWithoutNeighborsAreEvaluated() throws IOException {
        String bonded = "2\nProperties=species:S:1:pos:R:3\nC 0 0 0\nO 1.2 0 0\n";
        String[] isolated = {
            "1\nProperties=species:S:1:pos:R:3\nO 0.5 0 0\n",
            "1\nProperties=species:S:1:pos:R:3\nC 0 0 -3\n",
            "2\nProperties=species:S:1:pos:R:3\nC 0 0 0\nO 9 0 0\n",
            "1\nLattice=\"12 0 0 0 12 0 0 0 12\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\nH 1 2 3\n",
        };
        Path in = write("isolated.extxyz", bonded + String.join("", isolated) + bonded);
        List<Frame> frames = ExtXyz.read(in);
        Path out = dir.resolve("isolated.out.extxyz");
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("6 frames evaluated"), r.err());
        List<Frame> results = ExtXyz.read(out);
        assertEquals(6, results.size());
        CpuCalculator cpu = new CpuCalculator(PainnModel.load(Path.of(MODEL)));
        for (int k = 0; k < 6; k++) {
            Frame got = results.get(k);
            Result want = cpu.compute(frames.get(k).structure());
            assertEquals(want.energy(), got.energy(), 1e-12 * Math.abs(want.energy()), "frame " + k);
            assertTrue(Double.isFinite(got.energy()), "frame " + k);
            if (k >= 1 && k <= 4) {
                assertEquals(0, want.edges());
                assertArrayEquals(new double[3 * got.structure().size()], got.forces(), 0.0, "frame " + k);
            }
        }
        // The energy of atoms without neighbors is the sum of the energies of each alone.
        Structure carbon = Structure.molecule(new int[] {6}, new double[3]);
        Structure oxygen = Structure.molecule(new int[] {8}, new double[3]);
        double apart = results.get(3).energy();
        assertEquals(cpu.compute(carbon).energy() + cpu.compute(oxygen).energy(), apart, 1e-12 * Math.abs(apart));
        assertEquals(cpu.compute(oxygen).energy(), results.get(1).energy(), 1e-12 * Math.abs(apart));
        Frame cell = results.get(4);
        assertArrayEquals(new double[9], cell.stress(), 0.0, "a fully periodic frame without neighbors has zero stress");
        assertEquals(cpu.compute(Structure.molecule(new int[] {1}, new double[3])).energy(), cell.energy(),
                1e-12 * Math.abs(cell.energy()));
    }

    /** Per-atom columns energy does not use are written back after pos, in order; input forces are replaced. */
    @Test
    void otherColumnsAreKeptAndForcesReplaced() throws IOException {
        String in = "3\nProperties=tags:I:1:species:S:1:pos:R:3:forces:R:3:masses:R:1:label:S:1 step=4\n"
                + "1 O 0 0 0 9 9 9 31.998 o\n"
                + "2 H 0.96 0 0 9 9 9 2.014 d1\n"
                + "3 H -0.24 0.93 0 9 9 9 2.014 d2\n";
        Frame f = energyOf("columns", in);
        assertEquals("[tags:I:1, masses:R:1, label:S:1]", f.columns().toString());
        assertArrayEquals(new String[] {"1", "2", "3"}, f.columns().get(0).values());
        assertArrayEquals(new String[] {"31.998", "2.014", "2.014"}, f.columns().get(1).values());
        assertArrayEquals(new String[] {"o", "d1", "d2"}, f.columns().get(2).values());
        assertTrue(Math.abs(f.forces()[0]) < 9, "the input forces are replaced");
        String header = Files.readAllLines(dir.resolve("columns.out.extxyz")).get(1);
        assertTrue(header.startsWith("Properties=species:S:1:pos:R:3:tags:I:1:masses:R:1:label:S:1:forces:R:3 step=4 "),
                header);
    }

    /** Each bad input: a non-zero exit and one line that says what and where. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "missing input      | <none>                                                         | no such file",
        "empty file         |                                                                | no frames",
        "bad atom count     | x\\nc\\nC 0 0 0                                                 | frame 0 (line 1)",
        "unknown element    | 2\\nProperties=species:S:1:pos:R:3\\nC 0 0 0\\nXq 1 0 0          | line 4",
        "non-numeric coord  | 2\\nProperties=species:S:1:pos:R:3\\nC 0 0 0\\nO 1 abc 0         | line 4",
        "NaN coordinate     | 2\\nProperties=species:S:1:pos:R:3\\nC 0 0 0\\nO 1 nan 0         | line 4",
        "inf coordinate     | 2\\nProperties=species:S:1:pos:R:3\\nC 0 0 0\\nO 1 inf 0         | line 4",
        "short line         | 2\\nProperties=species:S:1:pos:R:3\\nC 0 0 0\\nO 1 0             | line 4",
        "too few atoms      | 3\\nProperties=species:S:1:pos:R:3\\nC 0 0 0\\nO 1 0 0           | frame 0 (line 1)",
        "beyond embedding   | 2\\nProperties=species:S:1:pos:R:3\\nC 0 0 0\\nFm 1.2 0 0        | atomic number 100, outside the model's embedding table (1..99)",
        "coincident atoms   | 2\\nProperties=species:S:1:pos:R:3\\nC 0 0 0\\nO 0 0 0           | atoms 0 and 1 are at the same position",
        "zero periodic row  | 1\\nLattice=\"3 0 0 0 0 0 0 0 0\" pbc=\"T T F\"\\nC 0 0 0     | frame 0 (line 2): Lattice vector b is zero but pbc is T T F",
    })
    void badInputIsOneLineAndNonZero(String what, String text, String expected) throws IOException {
        String input = text == null ? "" : text.replace("\\n", "\n") + "\n";
        Path in = what.equals("missing input") ? dir.resolve("nope.extxyz") : write("in.extxyz", input);
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", in.toString(),
                "--output", dir.resolve("out.extxyz").toString(), "--device", "cpu");
        assertEquals(Main.BAD_INPUT, r.code(), what + ": " + r.err());
        String line = r.errLine();
        assertFalse(line.contains("\n"), what + ": one line, got\n" + r.err());
        assertFalse(line.contains("Exception"), what + ": no stack trace: " + line);
        assertTrue(line.startsWith("painn4j: " + in), what + ": names the file: " + line);
        assertTrue(line.contains(expected), what + ": expected '" + expected + "' in: " + line);
    }

    @Test
    void errorsInLaterFramesNameTheFrameAndKeepNothingSilent() throws IOException {
        String good = "2\nProperties=species:S:1:pos:R:3\nC 0 0 0\nO 1.2 0 0\n";
        String bad = "2\nProperties=species:S:1:pos:R:3\nC 0 0 0\nO 0 0 0\n";
        Path in = write("two.extxyz", good + bad);
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", in.toString(),
                "--output", dir.resolve("out.extxyz").toString(), "--device", "cpu");
        assertEquals(Main.BAD_INPUT, r.code());
        assertTrue(r.errLine().contains("frame 1 (lines 7 and 8): atoms 0 and 1 are at the same position"), r.errLine());
    }

    /** Every reference structure, molecules and periodic cells of every kind, in one file. */
    private Path allReferenceFrames() throws IOException {
        StringBuilder all = new StringBuilder();
        try (var files = Files.list(Path.of("tests-gradcheck/reference/structures"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".extxyz")).sorted().toList()) {
                all.append(Files.readString(p));
            }
        }
        return write("all.extxyz", all.toString());
    }

    /** What energy writes for each frame of a file on its own, one after another. */
    private String frameByFrame(Path in, String... engine) throws IOException {
        StringBuilder expected = new StringBuilder();
        List<Frame> frames = ExtXyz.read(in);
        for (int k = 0; k < frames.size(); k++) {
            Path one = dir.resolve("frame" + k + ".extxyz");
            ExtXyz.write(one, List.of(frames.get(k)));
            Path out = dir.resolve("frame" + k + ".out.extxyz");
            List<String> args = new java.util.ArrayList<>(List.of("energy", "--model", MODEL, "--input", one.toString(),
                    "--output", out.toString()));
            args.addAll(List.of(engine));
            CliRun r = CliRun.of(args.toArray(new String[0]));
            assertEquals(0, r.code(), r.err());
            expected.append(Files.readString(out));
        }
        return expected.toString();
    }

    @Test
    void aMultiFrameFileGivesWhatEachFrameGivesAlone() throws IOException {
        Path in = allReferenceFrames();
        assertEquals(11, ExtXyz.read(in).size());
        String expected = frameByFrame(in, "--device", "cpu");
        for (int atoms : new int[] {EnergyCommand.BATCH_ATOMS, 20, 1}) {
            EnergyCommand.batchAtoms = atoms;
            try {
                Path out = dir.resolve("all." + atoms + ".out.extxyz");
                CliRun r = CliRun.of("energy", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                        "--device", "cpu");
                assertEquals(0, r.code(), r.err());
                assertTrue(r.err().contains("11 frames evaluated (cpu float64)"), r.err());
                assertEquals(expected, Files.readString(out), "batches of " + atoms + " atoms");
            } finally {
                EnergyCommand.batchAtoms = EnergyCommand.BATCH_ATOMS;
            }
        }
    }

    /** A bad frame inside a batch: the frames before it are written, the error names it as before. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "coincident  | 2\\nProperties=species:S:1:pos:R:3\\nC 0 0 0\\nO 0 0 0  | frame 2 (lines 11 and 12): atoms 0 and 1 are at the same position",
        "unreadable  | 2\\nProperties=species:S:1:pos:R:3\\nC 0 0 0\\nO 1 abc 0 | line 12",
    })
    void aBadFrameInABatchKeepsTheFramesBeforeIt(String what, String bad, String expected) throws IOException {
        String good = "2\nProperties=species:S:1:pos:R:3\nC 0 0 0\nO 1.2 0 0\n";
        Path in = write("four.extxyz", good + good + bad.replace("\\n", "\n") + "\n" + good);
        Path out = dir.resolve("out.extxyz");
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                "--device", "cpu");
        assertEquals(Main.BAD_INPUT, r.code(), what);
        assertTrue(r.errLine().startsWith("painn4j: " + in) && r.errLine().contains(expected), r.errLine());
        assertFalse(r.errLine().contains("\n"), r.errLine());
        assertEquals(2, ExtXyz.read(out).size(), what + ": the two frames before it are written");
    }

    @Test
    void aFullDiskIsOneLineNamingTheOutput() {
        Path full = Path.of("/dev/full");
        Assumptions.assumeTrue(Files.isWritable(full), "no /dev/full here");
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", "weights/examples/ethanol.extxyz",
                "--output", full.toString(), "--device", "cpu");
        assertEquals(Main.BAD_INPUT, r.code(), r.err());
        assertEquals("painn4j: /dev/full: cannot write: No space left on device", r.errLine());
    }

    /** A line that is not UTF-8 is located like any other unreadable frame, and the frames before it are kept. */
    @Test
    void aLineThatIsNotUtf8KeepsTheFramesBeforeIt() throws IOException {
        String good = "2\nProperties=species:S:1:pos:R:3\nC 0 0 0\nO 1.2 0 0\n";
        byte[] latin1 = "2\nnote=\u00c5\nC 0 0 0\nO 1.2 0 0\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        bytes.writeBytes((good + good + good).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        bytes.writeBytes(latin1);
        bytes.writeBytes(good.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path in = dir.resolve("latin1.extxyz");
        Files.write(in, bytes.toByteArray());
        Path out = dir.resolve("out.extxyz");
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                "--device", "cpu");
        assertEquals(Main.BAD_INPUT, r.code(), r.err());
        assertEquals("painn4j: " + in + ": frame 3 (line 14): not valid UTF-8 text (byte 0xC5 at column 6)", r.errLine());
        assertEquals(3, ExtXyz.read(out).size(), "the three frames before it are written");
    }

    /** The output is opened (truncated) before the input is read: it must never be the input. */
    @Test
    void anOutputThatIsTheInputIsRefusedAndTheInputKept() throws IOException {
        Path in = dir.resolve("in.extxyz");
        Files.copy(Path.of("weights/examples/ethanol.extxyz"), in);
        byte[] before = Files.readAllBytes(in);
        Path link = dir.resolve("link.extxyz");
        Files.createSymbolicLink(link, in);
        Path hard = dir.resolve("hard.extxyz");
        Files.createLink(hard, in);
        for (Path out : List.of(in, dir.resolve(".").resolve("in.extxyz"), link, hard)) {
            CliRun r = CliRun.of("energy", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                    "--device", "cpu");
            assertEquals(Main.BAD_INPUT, r.code(), out + ": " + r.err());
            assertEquals("painn4j: --output " + out + " is the same file as --input " + in
                    + "; it would be overwritten: give the output another name", r.errLine());
            assertArrayEquals(before, Files.readAllBytes(in), out + ": the input is untouched");
        }
        // The other way round: the input named through the link.
        CliRun r = CliRun.of("energy", "--model", MODEL, "--input", link.toString(), "--output", in.toString(),
                "--device", "cpu");
        assertEquals(Main.BAD_INPUT, r.code(), r.err());
        assertArrayEquals(before, Files.readAllBytes(in));
    }

    /** Nor the weights: the model is read before the output is opened, but a run must not destroy it. */
    @Test
    void anOutputThatIsTheModelIsRefused() throws IOException {
        Path weights = dir.resolve("m.safetensors");
        Files.copy(Path.of(MODEL), weights);
        byte[] before = Files.readAllBytes(weights);
        CliRun r = CliRun.of("energy", "--model", weights.toString(), "--input", "weights/examples/ethanol.extxyz",
                "--output", weights.toString(), "--device", "cpu");
        assertEquals(Main.BAD_INPUT, r.code(), r.err());
        assertEquals("painn4j: --output " + weights + " is the same file as --model " + weights
                + "; it would be overwritten: give the output another name", r.errLine());
        assertArrayEquals(before, Files.readAllBytes(weights));
    }

    @Test
    void missingModelIsOneLine() {
        CliRun r = CliRun.of("energy", "--model", dir.resolve("none.safetensors").toString(), "--input",
                "weights/examples/ethanol.extxyz", "--output", dir.resolve("o.extxyz").toString());
        assertEquals(Main.BAD_INPUT, r.code());
        assertEquals("painn4j: " + dir.resolve("none.safetensors") + ": no such file", r.errLine());
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        CliRun r = CliRun.of("energy", "--input", "a", "--output", "b", "--frobnicate");
        assertEquals(Main.BAD_INPUT, r.code());
        assertTrue(r.err().startsWith("painn4j: Unknown option: '--frobnicate'"), r.err());
    }
}
