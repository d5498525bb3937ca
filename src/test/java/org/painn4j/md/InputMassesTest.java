package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.painn4j.md.MdFixtures.ok;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import org.painn4j.structure.Structure;

/**
 * {@code md --masses input}: deuterated ethanol (every H 2.014 amu, as ASE writes it after
 * {@code set_masses}) runs with its own masses everywhere — initial momenta, integrator,
 * kinetic energy and temperature, trajectory, checkpoints and restarts.
 */
class InputMassesTest {
    static final double DEUTERIUM = 2.014;

    @TempDir
    static Path shared;

    static Path model;
    static Path deuterated;
    static double[] masses;

    @BeforeAll
    static void write() throws IOException {
        model = MdFixtures.writeSmallModel(shared);
        deuterated = shared.resolve("ethanol-d6.extxyz");
        Structure s = MdFixtures.ethanol();
        masses = Masses.of(s.numbers());
        for (int i = 0; i < masses.length; i++) {
            if (s.number(i) == 1) {
                masses[i] = DEUTERIUM;
            }
        }
        ExtXyz.write(deuterated, List.of(new Frame(s, null, null, null, null, null, 0,
                List.of(Masses.toColumn(masses)), 0)));
    }

    private static String[] args(Path dir, String... more) {
        List<String> a = new ArrayList<>(List.of("md", "--model", model.toString(), "--input", deuterated.toString(),
                "--device", "cpu", "--seed", "3", "--interval", "5",
                "--log", dir.resolve("md.log").toString(), "--trajectory", dir.resolve("md.extxyz").toString()));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    @Test
    void theFixtureHasTheMassesColumnAsAseWritesIt() throws IOException {
        assertTrue(MdFixtures.read(deuterated).contains("Properties=species:S:1:pos:R:3:masses:R:1 "));
        assertArrayEquals(masses, Masses.fromInput(ExtXyz.read(deuterated).get(0)));
        assertEquals(6, Arrays.stream(masses).filter(m -> m == DEUTERIUM).count());
    }

    /**
     * The initial momenta are drawn with the deuterium masses, the log's kinetic energy and
     * temperature are those of the input masses, and the total energy with them is conserved,
     * which it would not be were the integrator moving the atoms with other masses.
     */
    @Test
    void theInputMassesDriveTheRun(@TempDir Path dir) throws IOException {
        MdFixtures.Run r = MdFixtures.main(args(dir, "--masses", "input", "--steps", "40", "--temperature", "300"));
        ok(r);
        assertTrue(r.out().contains(", masses from the input"), r.out());
        assertFalse(r.out().contains("is not used"), r.out());
        List<Frame> frames = ExtXyz.read(dir.resolve("md.extxyz"));
        assertEquals(9, frames.size());
        assertArrayEquals(MaxwellBoltzmann.momenta(masses, 300, 3), frames.get(0).momenta());

        Path table = Files.createDirectory(dir.resolve("table"));
        ok(MdFixtures.main(args(table, "--steps", "5", "--temperature", "300", "--masses", "table")));
        double[] tableMomenta = ExtXyz.read(table.resolve("md.extxyz")).get(0).momenta();
        assertArrayEquals(MaxwellBoltzmann.momenta(Masses.of(MdFixtures.ethanol().numbers()), 300, 3), tableMomenta);
        for (int k = 0; k < tableMomenta.length; k++) {
            assertNotEquals(tableMomenta[k], frames.get(0).momenta()[k], "momentum component " + k);
        }

        List<String> log = MdFixtures.read(dir.resolve("md.log")).lines().skip(1).toList();
        double e0 = Double.NaN;
        for (int i = 0; i < frames.size(); i++) {
            Frame f = frames.get(i);
            assertArrayEquals(masses, Masses.fromInput(f), "frame " + i);
            double ekin = MdUnits.kineticEnergy(f.momenta(), masses);
            String[] cols = log.get(i).trim().split("\\s+");
            assertEquals(ekin, Double.parseDouble(cols[3]), 0.5e-4 + 1e-12, "Ekin of step " + 5 * i);
            assertEquals(MdUnits.temperature(ekin, 9), Double.parseDouble(cols[4]), 0.05 + 1e-9, "T of step " + 5 * i);
            double tableEkin = MdUnits.kineticEnergy(f.momenta(), Masses.of(f.structure().numbers()));
            assertTrue(Math.abs(tableEkin - ekin) > 0.01, "the table's masses give another kinetic energy");
            double etot = f.energy() + ekin;
            if (i == 0) {
                e0 = etot;
            }
            assertEquals(e0, etot, 1e-4, "total energy at step " + 5 * i);
        }
    }

    /** The trajectory's columns are ASE's order for atoms read with masses and given momenta. */
    @Test
    void theTrajectoryCarriesTheMassesBeforeTheMomenta(@TempDir Path dir) throws IOException {
        ok(MdFixtures.main(args(dir, "--masses", "input", "--steps", "5")));
        String first = MdFixtures.read(dir.resolve("md.extxyz")).lines().skip(1).findFirst().orElseThrow();
        assertTrue(first.startsWith("Properties=species:S:1:pos:R:3:masses:R:1:momenta:R:3:forces:R:3 step=0 "),
                first);
    }

    /**
     * A run stopped at a checkpoint and continued (after a simulated crash past it, without
     * giving --masses again) ends with the uninterrupted run's files, byte for byte.
     */
    @ParameterizedTest
    @ValueSource(strings = {"none", "langevin"})
    void restartRepeatsTheUninterruptedRun(String thermostat, @TempDir Path dir) throws IOException {
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        ok(MdFixtures.main(args(a, "--masses", "input", "--thermostat", thermostat, "--steps", "40",
                "--checkpoint", a.resolve("ck.json").toString(), "--checkpoint-interval", "20")));
        Path ck = b.resolve("ck.json");
        ok(MdFixtures.main(args(b, "--masses", "input", "--thermostat", thermostat, "--steps", "20",
                "--checkpoint", ck.toString())));
        Path at20 = b.resolve("ck20.json");
        Files.copy(ck, at20);
        assertEquals("input", new ObjectMapper().readTree(at20.toFile()).get("config").get("masses").asText());
        ok(MdFixtures.main("md", "--restart", ck.toString(), "--steps", "33", "--device", "cpu"));
        ok(MdFixtures.main("md", "--restart", at20.toString(), "--steps", "40", "--device", "cpu"));
        for (String file : new String[] {"md.log", "md.extxyz"}) {
            assertEquals(MdFixtures.read(a.resolve(file)), MdFixtures.read(b.resolve(file)), file);
        }
        assertEquals(9, ExtXyz.read(b.resolve("md.extxyz")).size());
        assertArrayEquals(masses, Masses.fromInput(ExtXyz.read(b.resolve("md.extxyz")).get(8)));
    }

    @Test
    void restartRefusesOtherMassesAndKeepsTheCheckpoints(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck.json");
        ok(MdFixtures.main(args(dir, "--masses", "input", "--steps", "5", "--checkpoint", ck.toString())));
        MdFixtures.Run r = MdFixtures.main("md", "--restart", ck.toString(), "--steps", "10", "--masses", "table");
        assertEquals(2, r.code());
        assertEquals(List.of("painn4j: --masses table differs from the checkpoint's input; --restart continues the"
                + " same run"), r.errLines());
        ok(MdFixtures.main("md", "--restart", ck.toString(), "--steps", "10", "--masses", "input", "--device", "cpu"));

        Path tableCk = dir.resolve("table.json");
        ok(MdFixtures.main(args(dir, "--steps", "5", "--checkpoint", tableCk.toString())));
        r = MdFixtures.main("md", "--restart", tableCk.toString(), "--steps", "10", "--masses", "input");
        assertEquals(List.of("painn4j: --masses input differs from the checkpoint's table; --restart continues the"
                + " same run"), r.errLines());
    }

    /**
     * A checkpoint from before --masses has no masses field: the table's, and refused with
     * others. With input masses any positive masses are taken.
     */
    @Test
    void checkpointsWithoutTheFieldAreTheTables(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck.json");
        ok(MdFixtures.main(args(dir, "--steps", "5", "--checkpoint", ck.toString())));
        ObjectMapper json = new ObjectMapper();
        ObjectNode d = (ObjectNode) json.readTree(ck.toFile());
        assertEquals("table", d.get("config").get("masses").asText());
        ((ObjectNode) d.get("config")).remove("masses");
        Path old = dir.resolve("old.json");
        json.writeValue(old.toFile(), d);
        assertEquals(MassSource.TABLE, Checkpoint.read(old).config().masses());

        ArrayNode m = (ArrayNode) d.get("replicas").get(0).get("masses");
        m.set(3, JsonNodeFactory.instance.textNode(Double.toHexString(DEUTERIUM)));
        json.writeValue(old.toFile(), d);
        MdFixtures.Run r = MdFixtures.main("md", "--restart", old.toString(), "--steps", "10", "--device", "cpu");
        assertEquals(2, r.code());
        assertEquals(List.of("painn4j: " + old + ": not a valid painn4j checkpoint (replica 0: masses[3] is 2.014,"
                + " not 1.008, the mass of atomic number 1 (the run's masses are the table's))"), r.errLines());

        ((ObjectNode) d.get("config")).put("masses", "input");
        Path input = dir.resolve("input.json");
        json.writeValue(input.toFile(), d);
        Checkpoint c = Checkpoint.read(input);
        assertEquals(MassSource.INPUT, c.config().masses());
        assertEquals(DEUTERIUM, c.states().get(0).masses()[3]);
    }

    /** With the column and the default --masses table, nothing of the column reaches the output. */
    @Test
    void aTableRunIgnoresTheColumnByteForByte(@TempDir Path dir) throws IOException {
        Path plain = shared.resolve("ethanol-plain.extxyz");
        ExtXyz.write(plain, List.of(new Frame(MdFixtures.ethanol())));
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        MdFixtures.Run r = MdFixtures.main(args(a, "--steps", "10"));
        ok(r);
        assertTrue(r.out().contains("the input's masses column is not used") && r.out().contains("--masses input"),
                r.out());
        List<String> more = new ArrayList<>(List.of(args(b, "--steps", "10")));
        more.set(more.indexOf(deuterated.toString()), plain.toString());
        ok(MdFixtures.main(more.toArray(new String[0])));
        for (String file : new String[] {"md.log", "md.extxyz"}) {
            assertEquals(MdFixtures.read(b.resolve(file)), MdFixtures.read(a.resolve(file)), file);
        }
        assertNotEquals(-1, MdFixtures.read(a.resolve("md.extxyz")).indexOf(":momenta:R:3:forces:R:3 "));
        assertEquals(-1, MdFixtures.read(a.resolve("md.extxyz")).indexOf("masses"));
    }

    /**
     * The default run's first frame as it was before --masses existed: columns, positions and the
     * initial momenta (which depend on the seed and the table's masses only, not on the model).
     */
    @Test
    void theDefaultRunStartsAsBefore(@TempDir Path dir) throws IOException {
        ok(MdFixtures.main("md", "--model", model.toString(), "--device", "cpu", "--steps", "1",
                "--log", dir.resolve("md.log").toString(), "--trajectory", dir.resolve("md.extxyz").toString()));
        List<String> lines = MdFixtures.read(dir.resolve("md.extxyz")).lines().limit(11).toList();
        assertTrue(lines.get(1).startsWith("Properties=species:S:1:pos:R:3:momenta:R:3:forces:R:3 step=0 time_fs=0.0 "
                + "energy="), lines.get(1));
        assertTrue(lines.get(1).endsWith(" pbc=\"F F F\""), lines.get(1));
        List<String> atoms = lines.subList(2, 11).stream()
                .map(l -> String.join(" ", Arrays.asList(l.trim().split("\\s+")).subList(0, 7))).toList();
        assertEquals(List.of(
                "C 1.168181 -0.400382 0.0 1.21587045001774 1.210630032418209 0.4020682779783907",
                "C 0.0 0.559462 0.0 -0.5065870094370442 -0.8625121081833863 0.3886586249126842",
                "O -1.190083 -0.227669 0.0 -0.6806005917049941 -0.2096628518851951 -0.45068423426589893",
                "H -1.946623 0.381525 0.0 0.10278684582044498 0.027536643259577845 0.2253720655305614",
                "H 0.042557 1.207508 0.886933 0.2825152051255803 0.048542670852987836 -0.056075786102918655",
                "H 0.042557 1.207508 -0.886933 -0.38861853932175966 -0.03209991353553538 -0.10218194710283136",
                "H 2.115891 0.1448 0.0 -0.22355771163174243 -0.3188216211581332 -0.2864370841754075",
                "H 1.128599 -1.037234 0.885881 0.20946081330447555 -0.07003410702790114 -0.23332092888317438",
                "H 1.128599 -1.037234 -0.885881 -0.01126946217270081 0.20642125525937602 0.11260101210859538"),
                atoms);
    }
}
