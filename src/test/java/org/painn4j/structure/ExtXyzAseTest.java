package org.painn4j.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files this library writes, read by ASE itself, and files ASE writes, read by this library.
 * Needs a Python with ASE (Debian's python3-ase in /usr/bin/python3); skipped without one.
 */
class ExtXyzAseTest {
    // The system interpreter: a python3 earlier on PATH (pyenv, a venv) often lacks ASE.
    private static final String[] CANDIDATES = {"/usr/bin/python3", "python3"};

    private static String python;

    @TempDir
    Path dir;

    @BeforeAll
    static void findAse() {
        for (String candidate : CANDIDATES) {
            try {
                if (run(candidate, "import ase.io\nprint('ok')", List.of()).startsWith("ok")) {
                    python = candidate;
                    return;
                }
            } catch (IOException | RuntimeException e) {
                // try the next one
            }
        }
    }

    private static final String READ_WITH_ASE = String.join("\n",
            "import sys, json, ase.io",
            "out = []",
            "for a in ase.io.read(sys.argv[1], index=':', format='extxyz'):",
            "    d = {'numbers': a.numbers.tolist(), 'positions': a.positions.ravel().tolist(),",
            "         'cell': a.cell.array.ravel().tolist(), 'pbc': [bool(x) for x in a.pbc],",
            "         'calc': type(a.calc).__name__ if a.calc is not None else None,",
            "         'info': {k: str(v) for k, v in a.info.items()}}",
            "    r = a.calc.results if a.calc is not None else {}",
            "    d['energy'] = a.get_potential_energy() if 'energy' in r else None",
            "    d['forces'] = a.get_forces().ravel().tolist() if 'forces' in r else None",
            "    d['stress'] = a.get_stress().tolist() if 'stress' in r else None",
            "    d['momenta'] = a.get_momenta().ravel().tolist() if 'momenta' in a.arrays else None",
            "    out.append(d)",
            "print(json.dumps(out))");

    @Test
    void aseReadsWhatWeWrite() throws IOException {
        Assumptions.assumeTrue(python != null, "no Python with ASE (apt-get install python3-ase)");
        Random rng = new Random(5);
        double[] stress = {0.011, -0.002, 0.003, -0.004, 0.021, 0.0005, 0.006, 0.0007, -0.013};
        List<Frame> frames = List.of(
                new Frame(Structure.molecule(new int[] {8, 1, 1}, random(rng, 9)), -14.123456789012345,
                        random(rng, 9), null, null, info("step", "0", "config_type", "gas phase"), 0),
                new Frame(new Structure(new int[] {14, 14, 29}, random(rng, 9),
                        new double[] {4.1, 0.0, 0.0, 1.3, 3.9, 0.0, -0.7, 1.1, 5.3}, new boolean[] {true, true, true}),
                        -31.5e-3, random(rng, 9), stress, random(rng, 9), info("time", "12.5"), 0),
                new Frame(new Structure(new int[] {29, 29}, random(rng, 6),
                        new double[] {2.55, 0, 0, 0, 2.55, 0, 0, 0, 30}, new boolean[] {true, true, false}),
                        1e-7, random(rng, 6), null, null, null, 0),
                new Frame(Structure.molecule(new int[] {17}, new double[] {0.1, 0.2, 0.30000000000000004})));
        Path file = dir.resolve("ours.extxyz");
        ExtXyz.write(file, frames);

        JsonNode ase = new ObjectMapper().readTree(run(python, READ_WITH_ASE, List.of(file.toString())));
        assertEquals(frames.size(), ase.size());
        for (int i = 0; i < frames.size(); i++) {
            Frame f = frames.get(i);
            JsonNode a = ase.get(i);
            Structure s = f.structure();
            assertArrayEquals(s.numbers(), ints(a.get("numbers")));
            assertArrayEquals(s.positions(), doubles(a.get("positions")));
            assertArrayEquals(s.hasCell() ? s.cell() : new double[9], doubles(a.get("cell")));
            assertArrayEquals(new boolean[] {a.get("pbc").get(0).asBoolean(), a.get("pbc").get(1).asBoolean(),
                    a.get("pbc").get(2).asBoolean()}, s.pbc());
            if (f.energy() == null) {
                assertTrue(a.get("calc").isNull());
            } else {
                assertEquals("SinglePointCalculator", a.get("calc").asText());
                assertEquals(f.energy(), a.get("energy").asDouble());
                assertArrayEquals(f.forces(), doubles(a.get("forces")));
            }
            if (f.hasStress()) {
                double[] t = f.stress();
                // ASE's Voigt order xx yy zz yz xz xy, taken from the upper triangle.
                assertArrayEquals(new double[] {t[0], t[4], t[8], t[5], t[2], t[1]}, doubles(a.get("stress")));
            } else {
                assertTrue(a.get("stress").isNull());
            }
            if (f.hasMomenta()) {
                assertArrayEquals(f.momenta(), doubles(a.get("momenta")));
            } else {
                assertTrue(a.get("momenta").isNull());
            }
            for (Map.Entry<String, String> kv : f.info().entrySet()) {
                assertEquals(kv.getValue(), a.get("info").get(kv.getKey()).asText());
            }
        }
    }

    private static final String WRITE_WITH_ASE = String.join("\n",
            "import sys, numpy as np, ase.io",
            "from ase import Atoms",
            "from ase.calculators.singlepoint import SinglePointCalculator",
            "rng = np.random.default_rng(1)",
            "a = Atoms('SiSiO', positions=rng.normal(size=(3, 3)),",
            "          cell=[[4.1, 0, 0], [1.3, 3.9, 0], [-0.7, 1.1, 5.3]], pbc=[True, True, False])",
            "a.set_momenta(rng.normal(size=(3, 3)))",
            "a.set_tags([1, 0, 2])",
            "a.set_initial_magnetic_moments([0.5, -0.5, 0.0])",
            "a.info['config_type'] = 'slab with vacuum'",
            "a.info['step'] = 7",
            "a.calc = SinglePointCalculator(a, energy=-12.345678901234567, forces=rng.normal(size=(3, 3)),",
            "                               stress=np.array([0.1, 0.2, 0.3, 0.04, 0.05, 0.06]))",
            "m = Atoms('H2O', positions=[[0, 0, 0], [0.76, 0.59, 0], [-0.76, 0.59, 0]])",
            "m.calc = SinglePointCalculator(m, energy=-14.2, forces=np.ones((3, 3)))",
            "ase.io.write(sys.argv[1], [a, m], format='extxyz')",
            "print('ok')");

    @Test
    void weReadWhatAseWrites() throws IOException {
        Assumptions.assumeTrue(python != null, "no Python with ASE (apt-get install python3-ase)");
        Path file = dir.resolve("ase.extxyz");
        assertTrue(run(python, WRITE_WITH_ASE, List.of(file.toString())).startsWith("ok"));
        List<Frame> ours = ExtXyz.read(file);
        JsonNode ase = new ObjectMapper().readTree(run(python, READ_WITH_ASE, List.of(file.toString())));
        assertEquals(2, ours.size());
        for (int i = 0; i < 2; i++) {
            Frame f = ours.get(i);
            JsonNode a = ase.get(i);
            assertArrayEquals(ints(a.get("numbers")), f.structure().numbers());
            assertArrayEquals(doubles(a.get("positions")), f.structure().positions());
            assertEquals(a.get("energy").asDouble(), f.energy());
            assertArrayEquals(doubles(a.get("forces")), f.forces());
        }
        Frame slab = ours.get(0);
        assertArrayEquals(new double[] {4.1, 0, 0, 1.3, 3.9, 0, -0.7, 1.1, 5.3}, slab.structure().cell());
        assertArrayEquals(new boolean[] {true, true, false}, slab.structure().pbc());
        assertArrayEquals(new double[] {0.1, 0.06, 0.05, 0.06, 0.2, 0.04, 0.05, 0.04, 0.3}, slab.stress());
        assertArrayEquals(doubles(ase.get(0).get("momenta")), slab.momenta());
        assertEquals("slab with vacuum", slab.info().get("config_type"));
        assertEquals("7", slab.info().get("step"));
        assertNull(ours.get(1).stress());
        assertTrue(!ours.get(1).structure().hasCell() && !ours.get(1).structure().anyPeriodic());
    }

    private static final String WRITE_WITH_ARRAYS = String.join("\n",
            "import sys, numpy as np, ase.io",
            "from ase import Atoms",
            "rng = np.random.default_rng(3)",
            "a = Atoms('CCOHHHHHH', positions=rng.normal(size=(9, 3)) * 2)",
            "a.set_tags([0, 1, 2, 0, 1, 2, 0, 1, 2])",
            "a.set_masses(a.get_masses() * 2)",
            "a.set_initial_charges(rng.normal(size=9))",
            "a.set_momenta(rng.normal(size=(9, 3)))",
            "a.set_initial_magnetic_moments(rng.normal(size=9))",
            "a.new_array('label', np.array(['c1', 'c2', 'o', 'h1', 'h2', 'h3', 'h4', 'h5', 'ho']))",
            "a.new_array('fixed', np.array([True, False] * 4 + [True]))",
            "a.new_array('dipoles', rng.normal(size=(9, 3)))",
            "a.info['step'] = 3",
            "ase.io.write(sys.argv[1], a, format='extxyz')",
            "print('ok')");

    /** Reads the input and our output; writes the input's atoms with our results as ASE would, and compares. */
    private static final String COMPARE_WITH_ASE = String.join("\n",
            "import sys, json, numpy as np, ase.io",
            "from ase.calculators.singlepoint import SinglePointCalculator",
            "inp = ase.io.read(sys.argv[1], format='extxyz')",
            "ours = ase.io.read(sys.argv[2], format='extxyz')",
            "inp.calc = SinglePointCalculator(inp, energy=ours.get_potential_energy(), forces=ours.get_forces())",
            "ase.io.write(sys.argv[3], inp, format='extxyz')",
            "props = lambda f: [w for w in open(f).readlines()[1].split() if w.startswith('Properties=')][0]",
            "same = {k: bool(np.array_equal(inp.arrays[k], ours.arrays[k])) for k in inp.arrays}",
            "print(json.dumps({'ours': props(sys.argv[2]), 'ase': props(sys.argv[3]), 'same': same,",
            "                  'keys': sorted(ours.arrays), 'calc': type(ours.calc).__name__}))");

    /** Per-atom arrays (tags, masses, charges, labels, flags, ...) survive, in ASE's order. */
    @Test
    void otherColumnsComeBackAsAseWritesThem() throws IOException {
        Assumptions.assumeTrue(python != null, "no Python with ASE (apt-get install python3-ase)");
        Path in = dir.resolve("arrays.extxyz");
        assertTrue(run(python, WRITE_WITH_ARRAYS, List.of(in.toString())).startsWith("ok"));
        Frame f = ExtXyz.read(in).get(0);
        Random rng = new Random(9);
        Path ours = dir.resolve("ours.extxyz");
        ExtXyz.write(ours, List.of(f.withResults(-31.25, random(rng, 27), null)));
        Path theirs = dir.resolve("theirs.extxyz");
        JsonNode r = new ObjectMapper().readTree(run(python, COMPARE_WITH_ASE,
                List.of(in.toString(), ours.toString(), theirs.toString())));
        assertEquals(r.get("ase").asText(), r.get("ours").asText());
        assertEquals("Properties=species:S:1:pos:R:3:tags:I:1:masses:R:1:initial_charges:R:1:momenta:R:3"
                + ":initial_magmoms:R:1:label:S:1:fixed:L:1:dipoles:R:3:forces:R:3", r.get("ours").asText());
        assertEquals("SinglePointCalculator", r.get("calc").asText());
        assertEquals(10, r.get("same").size());
        r.get("same").fields().forEachRemaining(e -> assertTrue(e.getValue().asBoolean(), e.getKey() + " reads back equal"));
        assertEquals("[\"dipoles\",\"fixed\",\"forces\",\"initial_charges\",\"initial_magmoms\",\"label\",\"masses\","
                + "\"momenta\",\"numbers\",\"positions\",\"tags\"]", r.get("keys").toString());
    }

    private static final String WRITE_SLAB_AND_WIRE = String.join("\n",
            "import sys, ase.io",
            "from ase.build import graphene, nanotube",
            "ase.io.write(sys.argv[1], [graphene(size=(2, 2, 1), vacuum=None), nanotube(3, 3, length=2)],",
            "             format='extxyz')",
            "print('ok')");

    /** ASE writes a slab's or a wire's open axes as zero cell rows. */
    @Test
    void weReadAseSlabsAndWires() throws IOException {
        Assumptions.assumeTrue(python != null, "no Python with ASE (apt-get install python3-ase)");
        Path file = dir.resolve("slab-wire.extxyz");
        assertTrue(run(python, WRITE_SLAB_AND_WIRE, List.of(file.toString())).startsWith("ok"));
        List<Frame> ours = ExtXyz.read(file);
        JsonNode ase = new ObjectMapper().readTree(run(python, READ_WITH_ASE, List.of(file.toString())));
        assertEquals(2, ours.size());
        for (int i = 0; i < 2; i++) {
            Structure s = ours.get(i).structure();
            JsonNode a = ase.get(i);
            assertArrayEquals(doubles(a.get("cell")), s.cell());
            assertArrayEquals(doubles(a.get("positions")), s.positions());
        }
        assertArrayEquals(new boolean[] {true, true, false}, ours.get(0).structure().pbc());
        assertArrayEquals(new double[] {0, 0, 0}, java.util.Arrays.copyOfRange(ours.get(0).structure().cell(), 6, 9));
        assertArrayEquals(new boolean[] {false, false, true}, ours.get(1).structure().pbc());
        assertArrayEquals(new double[6], java.util.Arrays.copyOfRange(ours.get(1).structure().cell(), 0, 6));
    }

    private static String run(String exe, String script, List<String> args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(exe, "-c", script));
        command.addAll(args);
        // Output to a file rather than a pipe, so that a hung or chatty interpreter cannot block the test.
        Path log = Files.createTempFile("ase", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(exe + " timed out");
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException(exe + " failed: " + out);
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static double[] random(Random rng, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextGaussian() * 2;
        }
        return a;
    }

    private static double[] doubles(JsonNode node) {
        double[] a = new double[node.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = node.get(i).asDouble();
        }
        return a;
    }

    private static int[] ints(JsonNode node) {
        int[] a = new int[node.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = node.get(i).asInt();
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
