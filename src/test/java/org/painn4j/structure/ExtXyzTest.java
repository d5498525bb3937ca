package org.painn4j.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.InputException;

class ExtXyzTest {

    @TempDir
    Path dir;

    // ---- round trips ----

    @Test
    void moleculesRoundTripExactly() {
        Random rng = new Random(7);
        Frame water = new Frame(Structure.molecule(new int[] {8, 1, 1}, randomArray(rng, 9, 3)),
                -14.123456789012345, randomArray(rng, 9, 1), null, null,
                info("step", "3", "time", "1.5", "config_type", "gas phase"), 0);
        Frame methane = new Frame(Structure.molecule(new int[] {6, 1, 1, 1, 1}, randomArray(rng, 15, 2)));
        Frame chloride = new Frame(Structure.molecule(new int[] {17, 55}, new double[] {0, 0, 0, 0, 0, 2.9}),
                1e-300, new double[] {-0.0, 0, 1e300, Double.MIN_VALUE, -Double.MAX_VALUE, 0.1}, null, null, null, 0);

        List<Frame> back = writeAndRead(List.of(water, methane, chloride));
        assertEquals(3, back.size());
        for (int i = 0; i < 3; i++) {
            assertSameFrame(List.of(water, methane, chloride).get(i), back.get(i));
        }
        assertEquals(List.of("step", "time", "config_type"), new ArrayList<>(back.get(0).info().keySet()));
        assertFalse(back.get(0).structure().hasCell());
        assertNull(back.get(1).energy());
        assertFalse(back.get(1).hasForces());
        assertEquals(1, back.get(0).lineNumber());
        assertEquals(1 + 5, back.get(1).lineNumber());
        assertEquals(1 + 5 + 7, back.get(2).lineNumber());
    }

    @Test
    void periodicTriclinicAndSlabFramesRoundTrip() {
        Random rng = new Random(11);
        double[] triclinic = {4.1, 0.0, 0.0, 1.3, 3.9, 0.0, -0.7, 1.1, 5.3};
        // Not symmetric, so that a transposed stress would show.
        double[] stress = {0.011, -0.002, 0.003, -0.004, 0.021, 0.0005, 0.006, 0.0007, -0.013};
        Frame bulk = new Frame(new Structure(new int[] {14, 14, 8}, randomArray(rng, 9, 6), triclinic,
                new boolean[] {true, true, true}), -31.5, randomArray(rng, 9, 1), stress,
                randomArray(rng, 9, 0.1), info("temperature", "300.0"), 0);
        Frame slab = new Frame(new Structure(new int[] {29, 29}, new double[] {0, 0, 10, 1.27, 1.27, 11.8},
                new double[] {2.55, 0, 0, 0, 2.55, 0, 0, 0, 30}, new boolean[] {true, true, false}),
                -7.25, new double[6], null, null, null, 0);
        Frame boxedMolecule = new Frame(new Structure(new int[] {1, 1}, new double[] {5, 5, 5, 5, 5, 5.74},
                new double[] {10, 0, 0, 0, 10, 0, 0, 0, 10}, new boolean[3]));

        List<Frame> back = writeAndRead(List.of(bulk, slab, boxedMolecule));
        assertSameFrame(bulk, back.get(0));
        assertSameFrame(slab, back.get(1));
        assertSameFrame(boxedMolecule, back.get(2));
        assertTrue(back.get(0).structure().fullyPeriodic());
        assertArrayEquals(new boolean[] {true, true, false}, back.get(1).structure().pbc());
        assertTrue(back.get(2).structure().hasCell());
        assertFalse(back.get(2).structure().anyPeriodic());
    }

    @Test
    void randomNumbersRoundTripBitForBit() {
        Random rng = new Random(3);
        int n = 500;
        double[] pos = new double[3 * n];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = switch (i % 4) {
                case 0 -> rng.nextGaussian() * 10;
                case 1 -> Double.longBitsToDouble(rng.nextLong()) % 1e6;
                case 2 -> rng.nextDouble() * Math.pow(10, rng.nextInt(40) - 20);
                default -> -rng.nextDouble();
            };
            if (!Double.isFinite(pos[i])) {
                pos[i] = 1.0;
            }
        }
        int[] numbers = new int[n];
        for (int a = 0; a < n; a++) {
            numbers[a] = 1 + rng.nextInt(Elements.MAX_Z);
        }
        Frame f = new Frame(Structure.molecule(numbers, pos));
        assertSameFrame(f, writeAndRead(List.of(f)).get(0));
    }

    @Test
    void formatMatchesAseLayout() {
        Frame f = new Frame(new Structure(new int[] {29}, new double[] {0.5, 0, 0},
                new double[] {3.6, 0, 0, 0, 3.6, 0, 0, 0, 3.6}, new boolean[] {true, true, true}),
                -3.75, new double[] {0.1, 0.2, 0.3}, new double[] {1, 0, 0, 0, 2, 0, 0, 0, 3}, null,
                info("step", "2", "note", "a \"quoted\" word"), 0);
        String[] lines = ExtXyz.format(f).split("\n");
        assertEquals("1", lines[0]);
        assertEquals("Lattice=\"3.6 0.0 0.0 0.0 3.6 0.0 0.0 0.0 3.6\" Properties=species:S:1:pos:R:3:forces:R:3"
                + " step=2 note=\"a \\\"quoted\\\" word\" energy=-3.75"
                + " stress=\"1.0 0.0 0.0 0.0 2.0 0.0 0.0 0.0 3.0\" pbc=\"T T T\"", lines[1]);
        assertEquals(List.of("Cu", "0.5", "0.0", "0.0", "0.1", "0.2", "0.3"), List.of(lines[2].trim().split("\\s+")));

        Frame molecule = new Frame(Structure.molecule(new int[] {1}, new double[3]));
        assertEquals("Properties=species:S:1:pos:R:3 pbc=\"F F F\"", ExtXyz.format(molecule).split("\n")[1]);
        assertEquals("a \"quoted\" word", writeAndRead(List.of(f)).get(0).info().get("note"));
    }

    // ---- streaming and appending ----

    @Test
    void streamingReaderGoesFrameByFrame() throws IOException {
        Path file = dir.resolve("traj.extxyz");
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            frames.add(new Frame(Structure.molecule(new int[] {1, 1}, new double[] {0, 0, 0, 0, 0, 0.7 + i}),
                    (double) i, null, null, null, info("step", Integer.toString(i)), 0));
        }
        ExtXyz.write(file, frames);
        try (ExtXyz.FrameReader reader = ExtXyz.open(file)) {
            int i = 0;
            while (reader.hasNext()) {
                Frame f = reader.next();
                assertEquals((double) i, f.energy());
                assertEquals(Integer.toString(i), f.info().get("step"));
                assertEquals(1 + 4 * i, f.lineNumber());
                i++;
                assertEquals(i, reader.framesRead());
            }
            assertEquals(5, i);
            assertFalse(reader.hasNext());
        }
    }

    /** A byte order mark before the atom count is skipped; characters one cannot see are shown escaped. */
    @Test
    void aByteOrderMarkIsSkippedAndInvisibleCharactersAreShown() throws IOException {
        Path file = dir.resolve("bom.extxyz");
        String frame = "2\nProperties=species:S:1:pos:R:3\nC 0 0 0\nO 1.2 0 0\n";
        Files.writeString(file, "\uFEFF" + frame);
        assertEquals(2, ExtXyz.read(file).get(0).structure().size());
        Files.writeString(file, frame.replace("O 1.2", "O\u0000 1.2"));
        InputException e = assertThrows(InputException.class, () -> ExtXyz.read(file));
        assertEquals(file + ": frame 0 (line 4): atom 1 has unknown element 'O\\u0000'", e.getMessage());
    }

    /** An error about atoms names their own lines: atom a of a frame at line L is on line L + 2 + a. */
    @Test
    void locationsNameTheFrameOrItsAtomsLines() throws IOException {
        Path file = dir.resolve("three.extxyz");
        String frame = "3\nProperties=species:S:1:pos:R:3\nC 0 0 0\nO 1.2 0 0\nH 2 0 0\n";
        Files.writeString(file, frame + frame);
        Frame second = ExtXyz.read(file).get(1);
        assertEquals("frame 1 (line 6)", second.location(1));
        assertEquals("frame 1 (line 10)", second.location(1, 2));
        assertEquals("frame 1 (lines 8 and 10)", second.location(1, 0, 2));
        assertEquals("frame 1 (lines 8, 9 and 10)", second.location(1, 0, 1, 2));
        assertEquals("frame 0", new Frame(second.structure()).location(0, 1));
    }

    @Test
    void writerFlushesEachFrameAndAppends() throws IOException {
        Path file = dir.resolve("md.extxyz");
        Frame a = new Frame(Structure.molecule(new int[] {2}, new double[] {1, 2, 3}));
        try (ExtXyz.FrameWriter w = ExtXyz.create(file)) {
            w.write(a);
            // Readable before the writer closes: a crash now would lose nothing.
            assertEquals(1, ExtXyz.read(file).size());
            w.write(a);
            assertEquals(2, ExtXyz.read(file).size());
        }
        try (ExtXyz.FrameWriter w = ExtXyz.append(file)) {
            w.write(a);
        }
        assertEquals(3, ExtXyz.read(file).size());
        try (ExtXyz.FrameWriter w = ExtXyz.create(file)) {
            w.write(a);
        }
        assertEquals(1, ExtXyz.read(file).size());
    }

    @Test
    void aFailedWriteIsOneLineNamingTheFile() {
        java.io.Writer full = new java.io.Writer() {
            @Override
            public void write(char[] buf, int off, int len) throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public void flush() throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public void close() throws IOException {
                throw new IOException("Input/output error");
            }
        };
        ExtXyz.FrameWriter w = ExtXyz.writer(full, "out.extxyz");
        Frame a = new Frame(Structure.molecule(new int[] {2}, new double[] {1, 2, 3}));
        InputException e = assertThrows(InputException.class, () -> w.write(a));
        assertEquals("out.extxyz: cannot write: No space left on device", e.getMessage());
        assertEquals("out.extxyz: cannot write: No space left on device",
                assertThrows(InputException.class, w::flush).getMessage());
        assertEquals("out.extxyz: cannot write: Input/output error",
                assertThrows(InputException.class, w::close).getMessage());
    }

    // ---- text encoding ----

    @Test
    void aLineThatIsNotUtf8IsReportedWhereItIsAndTheFramesBeforeItAreRead() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            text.append("1\nstep=").append(i).append("\nH 0 0 0\n");
        }
        byte[] good = text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // A Latin-1 'Å' in the comment line of frame 3, line 11.
        byte[] bad = "1\nunit=\u00c5\nH 0 0 0\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Path file = dir.resolve("latin1.extxyz");
        Files.write(file, concat(good, bad, good));
        try (ExtXyz.FrameReader reader = ExtXyz.open(file)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(Integer.toString(i), reader.next().info().get("step"));
            }
            InputException e = assertThrows(InputException.class, reader::next);
            assertEquals(file + ": frame 3 (line 11): not valid UTF-8 text (byte 0xC5 at column 6)", e.getMessage());
        }
        // Also where the bad byte starts a line between frames, and in a file far shorter than a block.
        Files.write(file, concat(good, new byte[] {(byte) 0xff, '\n'}));
        assertEquals(file + ": frame 3 (line 10): not valid UTF-8 text (byte 0xFF at column 1)",
                assertThrows(InputException.class, () -> ExtXyz.read(file)).getMessage());
    }

    @Test
    void utf8AcrossBlocksAndLineBreaksAcrossBlocks() throws IOException {
        // Comments that put a 4-byte character and a \r\n across the reader's 64 KiB blocks.
        String wide = "\ud83d\ude00";
        for (int shift = 0; shift < 4; shift++) {
            StringBuilder text = new StringBuilder("1\nnote=\"");
            int prefix = (1 << 16) - text.length() - shift;
            text.append("x".repeat(prefix)).append(wide).append(" \u00c5ngstr\u00f6m\"\r\nH 0 0 0\r\n");
            text.append("1\r\nnote=\u65e5\u672c\r\nH 0 0 1\r\n");
            Path file = dir.resolve("wide" + shift + ".extxyz");
            Files.writeString(file, text);
            List<Frame> frames = ExtXyz.read(file);
            assertEquals(2, frames.size(), "shift " + shift);
            assertEquals("x".repeat(prefix) + wide + " \u00c5ngstr\u00f6m", frames.get(0).info().get("note"));
            assertEquals("\u65e5\u672c", frames.get(1).info().get("note"));
            assertEquals(4, frames.get(1).lineNumber());
        }
        // A \r\n split by the block boundary is one line break, not two.
        String text = "1\nnote=" + "y".repeat((1 << 16) - 7 - 1) + "\r\nH 0 0 0\n";
        assertEquals((1 << 16) - 1, text.indexOf('\r'));
        Path file = dir.resolve("crlf.extxyz");
        Files.writeString(file, text + text);
        assertEquals(List.of(1, 4), ExtXyz.read(file).stream().map(Frame::lineNumber).toList());
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        return all.toByteArray();
    }

    // ---- files as ASE and others write them ----

    @Test
    void readsAseFileWithUnknownColumnsAndQuotedValues() {
        String text = "2\n"
                + "Lattice=\"5.43 0.0 0.0 0.0 5.43 0.0 0.0 0.0 5.43\" "
                + "Properties=species:S:1:pos:R:3:tags:I:1:initial_magmoms:R:1:move_mask:L:1:forces:R:3 "
                + "config_type=\"bulk silicon\" energy=-10.5 "
                + "stress=\"0.1 0.01 0.02 0.01 0.2 0.03 0.02 0.03 0.3\" free_energy=-10.6 pbc=\"T T T\"\n"
                + "Si       0.00000000       0.00000000       0.00000000        0       0.50000000  T"
                + "       0.10000000      -0.20000000       0.30000000\n"
                + "Si       1.35750000       1.35750000       1.35750000        1      -0.50000000  F"
                + "      -0.10000000       0.20000000      -0.30000000\n";
        Frame f = parse(text).get(0);
        assertArrayEquals(new int[] {14, 14}, f.structure().numbers());
        assertArrayEquals(new double[] {0, 0, 0, 1.3575, 1.3575, 1.3575}, f.structure().positions());
        assertArrayEquals(new double[] {0.1, -0.2, 0.3, -0.1, 0.2, -0.3}, f.forces());
        assertArrayEquals(new double[] {0.1, 0.01, 0.02, 0.01, 0.2, 0.03, 0.02, 0.03, 0.3}, f.stress());
        assertEquals(-10.5, f.energy());
        assertEquals(Map.of("config_type", "bulk silicon", "free_energy", "-10.6"), f.info());
        assertTrue(f.structure().fullyPeriodic());
        assertFalse(f.hasMomenta());
        assertEquals("[tags:I:1, initial_magmoms:R:1, move_mask:L:1]", f.columns().toString());
        assertArrayEquals(new String[] {"0", "1"}, f.columns().get(0).values());
        assertArrayEquals(new String[] {"0.50000000", "-0.50000000"}, f.columns().get(1).values());
        assertArrayEquals(new String[] {"T", "F"}, f.columns().get(2).values());
    }

    @Test
    void otherColumnsAreWrittenBackAfterPosInFileOrder() {
        // Columns before pos, momenta among the others, forces in the middle: as ASE reads such a
        // file and writes it again, species and pos come first, forces (a result) last.
        String text = "2\nProperties=tags:I:1:species:S:1:pos:R:3:masses:R:1:momenta:R:3:forces:R:3:label:S:1"
                + ":flag:L:1:dipoles:R:3 note=x\n"
                + "3 O 0 0 0 31.998 0.1 0.2 0.3 1 2 3 oxygen T 0.5 -0.5 1e-3\n"
                + "-2 H 0.96 0 0 2.014 -0.1 -0.2 -0.3 -1 -2 -3 deuterium False 1.0e+00 0 -inf\n";
        Frame f = parse(text).get(0);
        assertEquals("[tags:I:1, masses:R:1, label:S:1, flag:L:1, dipoles:R:3]", f.columns().toString());
        assertEquals(2, f.momentaAt());
        assertArrayEquals(new String[] {"0.5", "-0.5", "1e-3", "1.0e+00", "0", "-inf"}, f.columns().get(4).values());
        assertEquals("False", f.columns().get(3).value(1, 0));

        Frame evaluated = f.withResults(-1.5, new double[] {9, 8, 7, 6, 5, 4}, null);
        String[] lines = ExtXyz.format(evaluated).split("\n");
        assertEquals("Properties=species:S:1:pos:R:3:tags:I:1:masses:R:1:momenta:R:3:label:S:1:flag:L:1:dipoles:R:3"
                + ":forces:R:3 note=x energy=-1.5 pbc=\"F F F\"", lines[1]);
        assertEquals(List.of("H", "0.96", "0.0", "0.0", "-2", "2.014", "-0.1", "-0.2", "-0.3", "deuterium", "False",
                "1.0e+00", "0", "-inf", "6.0", "5.0", "4.0"), List.of(lines[3].trim().split("\\s+")));
        Frame back = writeAndRead(List.of(evaluated)).get(0);
        assertSameFrame(evaluated, back);
        assertEquals(f.columns(), back.columns());

        // Without momenta, or with them after every other column.
        assertEquals("Properties=species:S:1:pos:R:3:tags:I:1",
                ExtXyz.format(parse("1\nProperties=species:S:1:pos:R:3:tags:I:1\nH 0 0 0 7\n").get(0)).split("\n")[1]
                        .split(" ")[0]);
        assertEquals("Properties=species:S:1:pos:R:3:tags:I:1:momenta:R:3",
                ExtXyz.format(parse("1\nProperties=species:S:1:pos:R:3:tags:I:1:momenta:R:3\nH 0 0 0 7 1 2 3\n")
                        .get(0)).split("\n")[1].split(" ")[0]);
    }

    @Test
    void otherColumnsMustHoldWhatTheirTypeSays() {
        assertError("2\nProperties=species:S:1:pos:R:3:tags:I:1\nH 0 0 0 1\nH 1 0 0 1.5\n", 0, 4,
                "atom 1 tags '1.5' is not an integer (tags:I:1)");
        assertError("1\nProperties=species:S:1:pos:R:3:tags:I:1\nH 0 0 0 3000000000\n", 0, 3,
                "atom 0 tags '3000000000' is not an integer");
        assertError("1\nProperties=species:S:1:pos:R:3:m:R:1\nH 0 0 0 1.0d0\n", 0, 3, "atom 0 m '1.0d0' is not a number");
        assertError("1\nProperties=species:S:1:pos:R:3:fix:L:1\nH 0 0 0 yes\n", 0, 3,
                "atom 0 fix 'yes' is not T, F, True or False");
        assertError("1\nProperties=\"species:S:1:pos:R:3:a=b:S:1\"\nH 0 0 0 x\n", 0, 2, "column name 'a=b'");
    }

    @Test
    void readsAtomicNumberColumnAndMomenta() {
        String text = "2\nProperties=Z:I:1:pos:R:3:momenta:R:3 pbc=\"F F F\"\n"
                + "8 0 0 0 0.1 0.2 0.3\n"
                + "1 0 0 0.97 -0.1 -0.2 -0.3\n";
        Frame f = parse(text).get(0);
        assertArrayEquals(new int[] {8, 1}, f.structure().numbers());
        assertArrayEquals(new double[] {0.1, 0.2, 0.3, -0.1, -0.2, -0.3}, f.momenta());
        assertFalse(f.structure().hasCell());
    }

    @Test
    void plainXyzUsesDefaultColumns() {
        String text = "3\nwater molecule\nO 0.0 0.0 0.0\nH 0.76 0.59 0.0 extra columns ignored\nh -0.76 0.59 0.0\n"
                + "1\n\ncl 1 2 3\n\n\n";
        List<Frame> frames = parse(text);
        assertEquals(2, frames.size());
        assertArrayEquals(new int[] {8, 1, 1}, frames.get(0).structure().numbers());
        assertEquals(Map.of("water", "T", "molecule", "T"), frames.get(0).info());
        assertArrayEquals(new int[] {17}, frames.get(1).structure().numbers());
        assertTrue(frames.get(1).info().isEmpty());
        assertFalse(frames.get(0).structure().anyPeriodic());
    }

    @Test
    void latticeAlonePbcSpellingsAndNonPeriodicCell() {
        String cell = "Lattice=\"3 0 0 0 3 0 0 0 3\"";
        assertArrayEquals(new boolean[] {true, true, true}, parse("1\n" + cell + "\nH 0 0 0\n").get(0).structure().pbc());
        assertArrayEquals(new boolean[] {true, true, false},
                parse("1\n" + cell + " pbc=\"True True False\"\nH 0 0 0\n").get(0).structure().pbc());
        assertArrayEquals(new boolean[] {true, false, true},
                parse("1\n" + cell + " pbc=\"t f t\"\nH 0 0 0\n").get(0).structure().pbc());
        assertArrayEquals(new boolean[] {false, false, false},
                parse("1\n" + cell + " pbc=F\nH 0 0 0\n").get(0).structure().pbc());
        Frame boxed = parse("1\n" + cell + " pbc=\"F F F\"\nH 0 0 0\n").get(0);
        assertArrayEquals(new double[] {3, 0, 0, 0, 3, 0, 0, 0, 3}, boxed.structure().cell());
        assertFalse(boxed.structure().anyPeriodic());
        // A flat cell does no harm when nothing is periodic.
        assertTrue(parse("1\nLattice=\"3 0 0 0 3 0 0 0 0\" pbc=\"F F F\"\nH 0 0 0\n").get(0).structure().hasCell());
    }

    @Test
    void slabsAndWiresMayHaveZeroRowsAlongOpenAxes() {
        // As ASE writes graphene(vacuum=None) and nanotube(): the rows of open axes are zero.
        Frame slab = parse("2\nLattice=\"2.46 0.0 0.0 -1.23 2.130422 0.0 0.0 0.0 0.0\" pbc=\"T T F\"\n"
                + "C 0 0 0\nC 1.23 0.71 0\n").get(0);
        assertArrayEquals(new boolean[] {true, true, false}, slab.structure().pbc());
        assertArrayEquals(new double[] {2.46, 0, 0, -1.23, 2.130422, 0, 0, 0, 0}, slab.structure().cell());
        Frame wire = parse("1\nLattice=\"0 0 0 0 0 0 0 0 2.46\" pbc=\"F F T\"\nC 0 0 0\n").get(0);
        assertArrayEquals(new boolean[] {false, false, true}, wire.structure().pbc());
        // An open row that depends on the periodic ones is just as harmless.
        assertTrue(parse("1\nLattice=\"3 0 0 0 3 0 3 3 0\" pbc=\"T T F\"\nH 0 0 0\n").get(0).structure().hasCell());
    }

    @Test
    void voigtStress() {
        Frame f = parse("1\nLattice=\"3 0 0 0 3 0 0 0 3\" stress=\"1 2 3 4 5 6\"\nH 0 0 0\n").get(0);
        assertArrayEquals(new double[] {1, 6, 5, 6, 2, 4, 5, 4, 3}, f.stress());
    }

    @Test
    void commentLineQuotingLikeAse() {
        String text = "1\n Properties = species:S:1:pos:R:3  a={1 2 3} b=[x y] c='single quoted' d=\"say \\\"hi\\\"\""
                + " flag e=1=2 pbc=\"F F F\" \nH 0 0 0\n";
        Map<String, String> info = parse(text).get(0).info();
        assertEquals("1 2 3", info.get("a"));
        assertEquals("x y", info.get("b"));
        assertEquals("single quoted", info.get("c"));
        assertEquals("say \"hi\"", info.get("d"));
        assertEquals("T", info.get("flag"));
        assertEquals("1=2", info.get("e"));
        // Written back and read again, they stay the same.
        assertEquals(info, writeAndRead(parse(text)).get(0).info());
    }

    @Test
    void tabsWindowsLineEndsAndTrailingBlankLines() {
        String text = "2\r\nProperties=species:S:1:pos:R:3\r\nC\t0\t0\t0\r\nO\t0\t0\t1.13\r\n\r\n";
        Frame f = parse(text).get(0);
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 1.13}, f.structure().positions());
        assertEquals(1, parse("1\n\nHe 0 0 0").size());
    }

    @Test
    void readerOverText() {
        try (ExtXyz.FrameReader r = ExtXyz.open(new StringReader("1\n\nAr 1 2 3\n"), "<stdin>")) {
            assertTrue(r.hasNext());
            assertEquals(18, r.next().structure().number(0));
            assertFalse(r.hasNext());
        }
        InputException e = assertThrows(InputException.class,
                () -> ExtXyz.open(new StringReader("1\n\nXx 1 2 3\n"), "<stdin>").next());
        assertEquals("<stdin>: frame 0 (line 3): atom 0 has unknown element 'Xx'", e.getMessage());
    }

    // ---- bad input ----

    @Test
    void missingAndEmptyFiles() {
        Path missing = dir.resolve("nope.extxyz");
        InputException e = assertThrows(InputException.class, () -> ExtXyz.read(missing));
        assertEquals(missing + ": no such file", e.getMessage());
        assertEquals(file("") + ": no frames", error(""));
        assertEquals(file("") + ": no frames", error("\n  \n"));
    }

    @Test
    void badAtomCounts() {
        assertError("H 0 0 0\n", 0, 1, "expected the atom count (a positive integer), got 'H 0 0 0'");
        assertError("0\n\n", 0, 1, "expected the atom count (a positive integer), got '0'");
        assertError("-2\n\n", 0, 1, "got '-2'");
        assertError("2.5\n\n", 0, 1, "got '2.5'");
        assertError("1\n\nH 0 0 0\nnot a count\n", 1, 4, "got 'not a count'");
        // One atom line too many: the extra line is read as the next atom count.
        assertError("1\n\nH 0 0 0\nH 1 0 0\n", 1, 4, "got 'H 1 0 0'");
    }

    @Test
    void truncatedFrames() {
        StringBuilder text = new StringBuilder();
        text.append("3\n\nH 0 0 0\nH 0 0 1\nH 0 0 2\n");
        text.append("8\n\n").append("C 0 0 0\n".repeat(8));
        text.append("21\nenergy=1.0\n").append("C 0 0 0\n".repeat(5));
        assertEquals(file(text.toString()) + ": frame 2 (line 16): expected 21 atom lines, file ends after 5",
                error(text.toString()));
        assertError("1\n\nH 0 0 0\n2\n", 1, 4, "file ends before the comment line");
    }

    @Test
    void badAtomLines() {
        String head = "2\nProperties=species:S:1:pos:R:3:forces:R:3\nH 0 0 0 0 0 0\n";
        assertError(head + "H 0 0 0.7 0 0\n", 0, 4,
                "atom 1 has 6 columns, Properties needs 7 (species:S:1:pos:R:3:forces:R:3)");
        assertError(head + "Qq 0 0 0.7 0 0 0\n", 0, 4, "atom 1 has unknown element 'Qq'");
        assertError(head + "H 0 zero 0.7 0 0 0\n", 0, 4, "atom 1 position 'zero' is not a number");
        assertError(head + "H 0 0x1p3 0.7 0 0 0\n", 0, 4, "atom 1 position '0x1p3' is not a number");
        assertError(head + "H 0 0 NaN 0 0 0\n", 0, 4, "atom 1 position is NaN or infinite ('NaN')");
        assertError(head + "H 0 -inf 0 0 0 0\n", 0, 4, "atom 1 position is NaN or infinite ('-inf')");
        assertError(head + "H 0 0 0.7 0 0 1.0d0\n", 0, 4, "atom 1 force '1.0d0' is not a number");
        assertError(head + "\nH 0 0 0.7 0 0 0\n", 0, 4, "atom 1 has 0 columns");
        assertError("1\nProperties=Z:I:1:pos:R:3\n0 0 0 0\n", 0, 3, "atom 0 has atomic number 0, outside 1..118");
        assertError("1\nProperties=Z:I:1:pos:R:3\nC 0 0 0\n", 0, 3, "atom 0 has atomic number 'C', not an integer");
    }

    @Test
    void badLatticeAndPbc() {
        assertError("1\nLattice=\"1 0 0 0 1 0 0 0\"\nH 0 0 0\n", 0, 2, "Lattice needs 9 numbers (three cell vectors), got 8");
        assertError("1\nLattice=\"1 0 0 0 1 0 0 0 x\"\nH 0 0 0\n", 0, 2, "Lattice 'x' is not a number");
        assertError("1\nLattice=\"1 0 0 0 1 0 0 0 inf\"\nH 0 0 0\n", 0, 2, "Lattice has a NaN or infinite entry 'inf'");
        assertError("1\nLattice=\"1 0 0 2 0 0 0 0 1\"\nH 0 0 0\n", 0, 2,
                "Lattice is singular (zero volume) but pbc is T T T");
        assertError("1\nLattice=\"1 0 0 0 1 0 0 0 0\"\nH 0 0 0\n", 0, 2,
                "Lattice vector c is zero but pbc is T T T");
        assertError("1\nLattice=\"1 0 0 0 0 0 0 0 0\" pbc=\"T T F\"\nH 0 0 0\n", 0, 2,
                "Lattice vector b is zero but pbc is T T F");
        assertError("1\nLattice=\"0 0 0 0 0 0 0 0 0\" pbc=\"F F T\"\nH 0 0 0\n", 0, 2,
                "Lattice vector c is zero but pbc is F F T");
        assertError("1\nLattice=\"1 0 0 0 0 1 -2 0 0\" pbc=\"T F T\"\nH 0 0 0\n", 0, 2,
                "Lattice vectors a and c are parallel (zero area) but pbc is T F T");
        assertError("1\nLattice=\"1 0 0 0 1 0 0 0 1\" pbc=\"T X F\"\nH 0 0 0\n", 0, 2, "pbc flag 'X' is not T or F");
        assertError("1\nLattice=\"1 0 0 0 1 0 0 0 1\" pbc=\"T T\"\nH 0 0 0\n", 0, 2, "pbc needs 3 flags");
        assertError("1\npbc=\"T T F\"\nH 0 0 0\n", 0, 2, "pbc=\"T T F\" without Lattice");
    }

    @Test
    void badCommentLineAndResults() {
        assertError("1\nProperties=species:S:1:pos:R:2\nH 0 0\n", 0, 2, "pos must be pos:R:3, got pos:R:2");
        assertError("1\nProperties=species:S:1\nH\n", 0, 2, "no pos:R:3 column");
        assertError("1\nProperties=pos:R:3\n0 0 0\n", 0, 2, "no species:S:1 or Z:I:1 column");
        assertError("1\nProperties=species:S:1:pos:R:3:x:Q:1\nH 0 0 0 0\n", 0, 2, "x has unknown type 'Q'");
        assertError("1\nProperties=species:S:1:pos:R\nH 0 0 0\n", 0, 2, "not a list of name:type:count triples");
        assertError("1\nnote=\"unclosed pbc=\"F F F\"\nH 0 0 0\n", 0, 2, "comment line: unclosed");
        assertError("1\nenergy=lots\nH 0 0 0\n", 0, 2, "energy 'lots' is not a number");
        assertError("1\nLattice=\"1 0 0 0 1 0 0 0 1\" stress=\"1 2 3 4\"\nH 0 0 0\n", 0, 2,
                "stress needs 9 numbers (or 6 in Voigt order), got 4");
    }

    @Test
    void frameChecksItsArrays() {
        Structure s = Structure.molecule(new int[] {1}, new double[3]);
        assertThrows(IllegalArgumentException.class, () -> new Frame(s, null, new double[6], null, null, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new Frame(s, null, null, new double[6], null, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new Frame(s, null, null, null, null, info("energy", "1"), 0));
        assertThrows(IllegalArgumentException.class, () -> new Frame(s, null, null, null, null, info("a", ""), 0));
        double[] forces = {1, 2, 3};
        Frame f = new Frame(s, 1.0, forces, null, null, null, 0);
        forces[0] = 99;
        f.forces()[1] = 99;
        assertArrayEquals(new double[] {1, 2, 3}, f.forces());
        Frame g = f.withResults(2.0, null, null);
        assertEquals(2.0, g.energy());
        assertFalse(g.hasForces());
        assertEquals(List.of(), g.columns());

        Frame.Column tags = new Frame.Column("tags", 'I', 1, new String[] {"4"});
        Frame h = new Frame(s, null, null, null, new double[3], null, 0, List.of(tags), 1);
        assertEquals(List.of(tags), h.withResults(1.0, forces, null).columns());
        assertEquals(1, h.withInfo(info("a", "b")).momentaAt());
        assertEquals(0, new Frame(s, null, null, null, null, null, 0, List.of(tags), 1).momentaAt(), "no momenta");
        assertThrows(IllegalArgumentException.class, () -> new Frame(s, null, null, null, new double[3], null, 0,
                List.of(tags), 2));
        assertThrows(IllegalArgumentException.class, () -> new Frame(s, null, null, null, null, null, 0,
                List.of(tags, tags), 0));
        assertThrows(IllegalArgumentException.class, () -> new Frame(s, null, null, null, null, null, 0,
                List.of(new Frame.Column("forces", 'R', 3, new String[] {"1", "2", "3"})), 0));
        assertThrows(IllegalArgumentException.class, () -> new Frame(s, null, null, null, null, null, 0,
                List.of(new Frame.Column("tags", 'I', 1, new String[] {"1", "2"})), 0));
        assertThrows(IllegalArgumentException.class, () -> new Frame.Column("tags", 'I', 1, new String[] {"x"}));
        assertThrows(IllegalArgumentException.class, () -> new Frame.Column("a b", 'S', 1, new String[] {"x"}));
        assertThrows(IllegalArgumentException.class, () -> new Frame.Column("label", 'S', 1, new String[] {"two words"}));
        assertThrows(IllegalArgumentException.class, () -> new Frame.Column("v", 'Q', 1, new String[] {"1"}));
    }

    // ---- shared by the tests above ----

    private List<Frame> writeAndRead(List<Frame> frames) {
        Path file = dir.resolve("roundtrip.extxyz");
        ExtXyz.write(file, frames);
        return ExtXyz.read(file);
    }

    private Path file(String text) {
        try {
            Path file = dir.resolve("sample.extxyz");
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private List<Frame> parse(String text) {
        return ExtXyz.read(file(text));
    }

    private String error(String text) {
        Path file = file(text);
        String message = assertThrows(InputException.class, () -> ExtXyz.read(file)).getMessage();
        assertFalse(message.contains("\n"), "one line: " + message);
        return message;
    }

    private void assertError(String text, int frame, int line, String what) {
        String message = error(text);
        String where = file(text) + ": frame " + frame + " (line " + line + "): ";
        assertTrue(message.startsWith(where), "expected '" + where + "...', got '" + message + "'");
        assertTrue(message.contains(what), "expected '" + what + "' in '" + message + "'");
    }

    private static void assertSameFrame(Frame want, Frame got) {
        Structure a = want.structure();
        Structure b = got.structure();
        assertArrayEquals(a.numbers(), b.numbers());
        assertArrayEquals(a.positions(), b.positions());
        assertArrayEquals(a.cell(), b.cell());
        assertArrayEquals(a.pbc(), b.pbc());
        assertEquals(want.energy(), got.energy());
        assertArrayEquals(want.forces(), got.forces());
        assertArrayEquals(want.stress(), got.stress());
        assertArrayEquals(want.momenta(), got.momenta());
        assertEquals(want.info(), got.info());
        assertEquals(want.columns(), got.columns());
        assertEquals(want.momentaAt(), got.momentaAt());
    }

    private static double[] randomArray(Random rng, int n, double scale) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextGaussian() * scale;
        }
        return a;
    }

    private static Map<String, String> info(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
