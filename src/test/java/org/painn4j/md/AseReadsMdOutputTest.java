package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
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
            "                'ekin': a.get_kinetic_energy(), 'temperature': a.get_temperature()})",
            "print(json.dumps({'log': buf.getvalue(), 'frames': out}))");

    @Test
    void aseReadsTrajectoryAndWritesTheSameLog(@TempDir Path dir) throws IOException {
        String python = MdFixtures.python();
        Assumptions.assumeTrue(python != null, "no Python with ASE (apt-get install python3-ase)");
        Path model = MdFixtures.writeSmallModel(dir);
        Path log = dir.resolve("md.log");
        Path traj = dir.resolve("md.extxyz");
        MdFixtures.Run r = MdFixtures.main("md", "--model", model.toString(), "--device", "cpu",
                "--input", MdFixtures.example("aspirin.extxyz").toString(), "--thermostat", "langevin",
                "--temperature", "500", "--steps", "30", "--interval", "3", "--dt", "0.4",
                "--log", log.toString(), "--trajectory", traj.toString());
        assertEquals(0, r.code(), r.err());

        JsonNode ase = new ObjectMapper().readTree(MdFixtures.runPython(python, SCRIPT, traj.toString(), "0.4"));
        assertEquals(MdFixtures.read(log), ase.get("log").asText());

        List<Frame> ours = ExtXyz.read(traj);
        JsonNode frames = ase.get("frames");
        assertEquals(11, frames.size());
        assertEquals(ours.size(), frames.size());
        List<String> lines = MdFixtures.read(log).lines().skip(1).toList();
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

    private static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asDouble();
        }
        return v;
    }
}
