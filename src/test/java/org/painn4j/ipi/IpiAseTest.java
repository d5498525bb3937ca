package org.painn4j.ipi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.calc.Result;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;

/**
 * painn4j ipi as the force client of ASE's SocketIOCalculator in a short velocity Verlet run,
 * launched the way docs/ipi.md shows; and ASE's own SocketClient against the Java test server,
 * which pins that server's layout (cell orientation, virial sign) to ASE's. Needs a Python with
 * ASE and numpy (Debian's python3-ase in /usr/bin/python3); skipped without one.
 */
class IpiAseTest {
    // The system interpreter: a python3 earlier on PATH (pyenv, a venv) often lacks ASE.
    private static final String[] CANDIDATES = {"/usr/bin/python3", "python3"};
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String python;

    @TempDir
    static Path dir;

    private static Path model;
    private static CpuCalculator reference;

    @BeforeAll
    static void setUp() throws IOException {
        for (String candidate : CANDIDATES) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import numpy, ase.calculators.socketio; print('ok')")
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 && out.startsWith("ok")) {
                    python = candidate;
                    break;
                }
            } catch (IOException | InterruptedException e) {
                // try the next one
            }
        }
        model = IpiFixtures.writeModel(dir);
        reference = new CpuCalculator(PainnModel.load(model));
    }

    private static void assumeAse() {
        Assumptions.assumeTrue(python != null,
                "no Python with ASE and numpy (apt-get install python3-ase python3-numpy); ASE socket tests skipped");
    }

    private static final String VERLET = String.join("\n",
            "import json, subprocess, sys",
            "import numpy as np",
            "from ase import units",
            "from ase.io import read",
            "from ase.calculators.socketio import SocketIOCalculator",
            "from ase.md.verlet import VelocityVerlet",
            "from ase.md.velocitydistribution import MaxwellBoltzmannDistribution",
            "template, transport, address, out = sys.argv[1:5]",
            "client = json.loads(sys.argv[5])",
            "atoms = read(template)",
            "MaxwellBoltzmannDistribution(atoms, temperature_K=600, rng=np.random.RandomState(3))",
            "if transport == 'unix':",
            "    server = dict(unixsocket=address)",
            "    client += ['--unix', address]",
            "else:",
            "    server = dict(port=int(address))",
            "    client += ['--host', 'localhost', '--port', address]",
            "records = []",
            "with SocketIOCalculator(timeout=60, **server) as calc:",
            "    proc = subprocess.Popen(client)",
            "    atoms.calc = calc",
            "    dyn = VelocityVerlet(atoms, timestep=0.5 * units.fs)",
            "    def record():",
            "        r = dict(positions=atoms.positions.ravel().tolist(), cell=atoms.cell.array.ravel().tolist(),",
            "                 energy=atoms.get_potential_energy(), forces=atoms.get_forces().ravel().tolist())",
            "        if atoms.pbc.all():",
            "            r['stress'] = atoms.get_stress(voigt=False).ravel().tolist()",
            "        records.append(r)",
            "    dyn.attach(record, interval=1)",
            "    dyn.run(20)",
            "code = proc.wait(timeout=60)",
            "with open(out, 'w') as f:",
            "    json.dump(dict(records=records, returncode=code), f)",
            "");

    @Test
    void velocityVerletOverUnixSocket() throws Exception {
        verlet(IpiFixtures.crystal(), "unix", "painn4j-ase-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @Test
    void velocityVerletOverTcp() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        verlet(IpiFixtures.molecule(), "tcp", Integer.toString(port));
    }

    /** ASE runs 20 steps with painn4j as its client; every force it got is painn4j's own. */
    private void verlet(Structure s, String transport, String address) throws Exception {
        assumeAse();
        Path template = IpiFixtures.writeTemplate(dir, transport + ".extxyz", s);
        Path script = dir.resolve("verlet.py");
        Files.writeString(script, VERLET);
        Path out = dir.resolve(transport + ".json");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> client = List.of(java, "-cp", System.getProperty("java.class.path"), "org.painn4j.cli.Main",
                "ipi", "--model", model.toString(), "--input", template.toString(), "--device", "cpu",
                "--timeout", "60");
        String log = runPython(List.of(script.toString(), template.toString(), transport, address, out.toString(),
                JSON.writeValueAsString(client)));

        JsonNode result = JSON.readTree(out.toFile());
        assertEquals(0, result.get("returncode").asInt(), "painn4j ipi exit code; log:\n" + log);
        assertTrue(log.contains("the server closed the connection"), log);
        JsonNode records = result.get("records");
        assertEquals(21, records.size());
        double moved = 0;
        for (JsonNode r : records) {
            double[] pos = doubles(r.get("positions"));
            Structure at = s.hasCell() ? s.withPositionsAndCell(pos, doubles(r.get("cell"))) : s.withPositions(pos);
            Result want = reference.compute(at);
            assertEquals(want.energy(), r.get("energy").asDouble(), 1e-6, "energy");
            assertArrayEquals(want.forces(), doubles(r.get("forces")), 1e-6, "forces (eV/Å)");
            if (s.fullyPeriodic()) {
                // ASE turns the virial back into a stress with σ = −virial / V
                assertArrayEquals(want.stress(), doubles(r.get("stress")), 1e-9, "stress (eV/Å³)");
            }
            moved = Math.max(moved, maxAbsDiff(pos, s.positions()));
        }
        assertTrue(moved > 1e-3, "the atoms moved during the run: " + moved + " Å");
    }

    private static final String ASE_CLIENT = String.join("\n",
            "import json, sys",
            "import numpy as np",
            "from ase import Atoms",
            "from ase.calculators.lj import LennardJones",
            "from ase.calculators.socketio import SocketClient",
            "atoms = Atoms('Ar4', positions=np.zeros((4, 3)), cell=np.eye(3), pbc=True)",
            "atoms.calc = LennardJones(sigma=1.0, epsilon=0.01, rc=3.0)",
            "client = SocketClient(unixsocket=sys.argv[1], timeout=30)",
            "for _ in client.irun(atoms, use_stress=True):",
            "    print(json.dumps(dict(positions=atoms.positions.ravel().tolist(), cell=atoms.cell.array.ravel().tolist(),",
            "        energy=atoms.get_potential_energy(), forces=atoms.get_forces().ravel().tolist(),",
            "        stress=atoms.get_stress(voigt=False).ravel().tolist(), volume=atoms.get_volume())), flush=True)",
            "");

    /**
     * ASE's own client (a Lennard-Jones calculator behind SocketClient) against the Java test
     * server: the cell and positions ASE receives are the ones sent, and the virial it sends is
     * −V·σ of its stress. The round-trip tests hold painn4j's client to the same server.
     */
    @Test
    void testServerSpeaksAsAseDoes() throws Exception {
        assumeAse();
        Structure s = IpiFixtures.crystal();
        double[] pos = java.util.Arrays.copyOf(s.positions(), 12);
        Path script = dir.resolve("ase_client.py");
        Files.writeString(script, ASE_CLIENT);
        Path log = dir.resolve("ase_client.out");
        try (IpiTestServer server = IpiTestServer.unix()) {
            String name = server.clientArgs().get(1);
            Process p = new ProcessBuilder(python, script.toString(), name)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            IpiTestServer.Forces got;
            try {
                server.accept(30);
                assertEquals("READY", server.status()); // ASE's client starts READY, unlike painn4j
                server.posdata(IpiFixtures.CELL, pos);
                assertEquals("HAVEDATA", server.status());
                got = server.getforce();
                assertEquals("NEEDINIT", server.status()); // and asks for INIT after every result
                server.init(0, new byte[] {0});
                assertEquals("READY", server.status());
                server.exit();
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "ASE client did not exit");
            } finally {
                p.destroyForcibly();
            }
            String out = Files.readString(log);
            assertEquals(0, p.exitValue(), out);
            JsonNode r = JSON.readTree(out.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
            assertArrayEquals(pos, doubles(r.get("positions")), 1e-12, "positions ASE received");
            assertArrayEquals(IpiFixtures.CELL, doubles(r.get("cell")), 1e-12, "cell rows ASE received");
            assertEquals(r.get("energy").asDouble(), got.energy(), 1e-12);
            assertArrayEquals(doubles(r.get("forces")), got.forces(), 1e-12);
            double vol = r.get("volume").asDouble();
            double[] stress = doubles(r.get("stress"));
            for (int i = 0; i < 9; i++) {
                assertEquals(-vol * stress[i], got.virial()[i], 1e-12, "virial " + i);
            }
            assertTrue(maxAbsDiff(got.virial(), new double[9]) > 1e-6, "a non-trivial virial");
        }
    }

    private static String runPython(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python));
        command.addAll(args);
        // Output to a file rather than a pipe, so that a chatty or hung process cannot block the test.
        File log = dir.resolve("python-" + UUID.randomUUID() + ".out").toFile();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("python timed out; log:\n" + Files.readString(log.toPath()));
        }
        String out = Files.readString(log.toPath());
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] a = new double[array.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = array.get(i).asDouble();
        }
        return a;
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
