package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;

/**
 * The trajectory and log as ASE sees them: {@code ase.io.read} gives back energies, forces and
 * momenta, and ASE's own MDLogger, fed the frames ASE read, writes our log line for line.
 * Needs /usr/bin/python3 with ASE (Debian's python3-ase); skipped without it.
 */
class AseReadsMdOutputTest {
    private static final String SCRIPT = String.join("\n",
            "import io, json, sys",
            "import ase.io, ase.units as units",
            "from ase.md.logger import MDLogger",
            "class Clock:",
            "    t = 0.0",
            "    def get_time(self):",
            "        return self.t",
            "frames = ase.io.read(sys.argv[1], index=':', format='extxyz')",
            "dt = float(sys.argv[2]) * units.fs",
            "clock = Clock()",
            "buf = io.StringIO()",
            "logger = MDLogger(clock, frames[0], buf)",
            "out = []",
            "for a in frames:",
            "    logger.atoms = a",
            "    clock.t = int(a.info['step']) * dt",
            "    logger()",
            "    out.append({'step': int(a.info['step']), 'energy': a.get_potential_energy(),",
            "                'forces': a.get_forces().ravel().tolist(), 'momenta': a.get_momenta().ravel().tolist(),",
            "                'ekin': a.get_kinetic_energy(), 'temperature': a.get_temperature(),",
            "                'masses': a.get_masses().tolist(), 'velocities': a.get_velocities().ravel().tolist()})",
            "print(json.dumps({'log': buf.getvalue(), 'frames': out}))");

    @Test
    void aseReadsTrajectoryAndWritesTheSameLog(@TempDir Path dir) throws IOException {
        String python = MdFixtures.python();
        Assumptions.assumeTrue(python != null, "no Python with ASE (apt-get install python3-ase)");
        JsonNode frames = runAndReadBack(python, dir, "0.4", "--input", MdFixtures.example("aspirin.extxyz").toString(),
                "--thermostat", "langevin", "--temperature", "500", "--steps", "30", "--interval", "3");
        List<Frame> ours = ExtXyz.read(dir.resolve("md.extxyz"));
        assertEquals(11, frames.size());
        assertEquals(ours.size(), frames.size());
        List<String> lines = MdFixtures.read(dir.resolve("md.log")).lines().skip(1).toList();
        for (int i = 0; i < ours.size(); i++) {
            Frame f = ours.get(i);
            JsonNode a = frames.get(i);
            assertEquals(3 * i, a.get("step").asInt());
            assertEquals(f.energy(), a.get("energy").asDouble());
            assertArrayEquals(f.forces(), doubles(a.get("forces")));
            assertArrayEquals(f.momenta(), doubles(a.get("momenta")));
            double[] m = Masses.of(f.structure().numbers());
            double ekin = MdUnits.kineticEnergy(f.momenta(), m);
            assertEquals(ekin, a.get("ekin").asDouble(), 1e-12 * Math.max(1, ekin));
            double t = MdUnits.temperature(ekin, m.length);
            assertEquals(t, a.get("temperature").asDouble(), 1e-9 * t);
            String[] cols = lines.get(i).trim().split("\\s+");
            assertEquals(a.get("temperature").asDouble(), Double.parseDouble(cols[4]), 0.05 + 1e-9);
        }
    }

    /** Ethanol with every hydrogen a deuterium, its masses set in ASE and written by ASE. */
    private static final String DEUTERATE = String.join("\n",
            "import sys, ase.io",
            "a = ase.io.read(sys.argv[1])",
            "m = a.get_masses()",
            "m[a.numbers == 1] = 2.014",
            "a.set_masses(m)",
            "ase.io.write(sys.argv[2], a, format='extxyz')");

    /**
     * With --masses input, ASE reads the masses back from the trajectory, and with them the
     * velocities, kinetic energy and temperature of our log (its own MDLogger writes the same log).
     */
    @Test
    void aseReadsTheInputMassesBack(@TempDir Path dir) throws IOException {
        String python = MdFixtures.python();
        Assumptions.assumeTrue(python != null, "no Python with ASE (apt-get install python3-ase)");
        Path in = dir.resolve("ethanol-d6.extxyz");
        MdFixtures.runPython(python, DEUTERATE, MdFixtures.example("ethanol.extxyz").toString(), in.toString());
        JsonNode frames = runAndReadBack(python, dir, "0.5", "--input", in.toString(), "--masses", "input",
                "--thermostat", "langevin", "--temperature", "400", "--steps", "20", "--interval", "4");
        List<Frame> ours = ExtXyz.read(dir.resolve("md.extxyz"));
        assertEquals(6, frames.size());
        double[] expected = Masses.of(ours.get(0).structure().numbers());
        for (int i = 0; i < expected.length; i++) {
            expected[i] = expected[i] == 1.008 ? 2.014 : expected[i];
        }
        for (int i = 0; i < ours.size(); i++) {
            Frame f = ours.get(i);
            JsonNode a = frames.get(i);
            double[] m = doubles(a.get("masses"));
            assertArrayEquals(expected, m);
            assertArrayEquals(f.momenta(), doubles(a.get("momenta")));
            double[] v = doubles(a.get("velocities"));
            for (int k = 0; k < v.length; k++) {
                assertEquals(f.momenta()[k] / m[k / 3], v[k], 1e-15 * Math.abs(v[k]));
            }
            double ekin = MdUnits.kineticEnergy(f.momenta(), m);
            assertEquals(ekin, a.get("ekin").asDouble(), 1e-12 * Math.max(1, ekin));
            assertEquals(MdUnits.temperature(ekin, m.length), a.get("temperature").asDouble(), 1e-9 * 400);
        }
    }

    /**
     * Runs md on the CPU with these arguments and the small model, writing md.log and md.extxyz in
     * dir; ASE reads the trajectory back, and its MDLogger must write our log byte for byte.
     * Returns the frames as ASE read them.
     */
    private static JsonNode runAndReadBack(String python, Path dir, String dt, String... args) throws IOException {
        Path log = dir.resolve("md.log");
        Path traj = dir.resolve("md.extxyz");
        List<String> a = new ArrayList<>(List.of("md", "--model", MdFixtures.writeSmallModel(dir).toString(),
                "--device", "cpu", "--dt", dt, "--log", log.toString(), "--trajectory", traj.toString()));
        a.addAll(List.of(args));
        MdFixtures.ok(MdFixtures.main(a.toArray(new String[0])));
        JsonNode ase = new ObjectMapper().readTree(MdFixtures.runPython(python, SCRIPT, traj.toString(), dt));
        assertEquals(MdFixtures.read(log), ase.get("log").asText());
        return ase.get("frames");
    }

    private static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asDouble();
        }
        return v;
    }
}
