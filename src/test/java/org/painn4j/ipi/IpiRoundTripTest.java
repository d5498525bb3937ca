package org.painn4j.ipi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.painn4j.calc.Result;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;

/**
 * painn4j ipi against a Java server: what the server receives, converted back from atomic
 * units, is what the calculator gives for the same positions and cell.
 */
class IpiRoundTripTest {
    @TempDir
    static Path dir;

    private static Path model;
    private static CpuCalculator reference;

    @BeforeAll
    static void writeModel() throws IOException {
        model = IpiFixtures.writeModel(dir);
        reference = new CpuCalculator(PainnModel.load(model));
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("molecule", IpiFixtures.molecule(), "unix"),
                Arguments.of("molecule", IpiFixtures.molecule(), "tcp"),
                Arguments.of("crystal", IpiFixtures.crystal(), "unix"),
                Arguments.of("crystal", IpiFixtures.crystal(), "tcp"),
                Arguments.of("slab", IpiFixtures.slab(), "unix"));
    }

    @ParameterizedTest(name = "{0} over {2}")
    @MethodSource("cases")
    void serverReceivesWhatTheCalculatorComputes(String name, Structure s, String transport) throws Exception {
        Path template = IpiFixtures.writeTemplate(dir, name + ".extxyz", s);
        try (IpiTestServer server = transport.equals("unix") ? IpiTestServer.unix() : IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = IpiFixtures.ClientRun.ipi(model, template, server);
            server.accept(10);
            assertEquals("NEEDINIT", server.status());
            server.init(0, new byte[] {0});
            assertEquals("READY", server.status());
            for (int step = 0; step < 3; step++) {
                double[] pos = IpiFixtures.rattled(s, 0.1, step);
                // A molecule gets the all-zero cell ASE sends for it, which must be ignored.
                server.posdata(s.hasCell() ? s.cell() : null, pos);
                assertEquals("HAVEDATA", server.status());
                IpiTestServer.Forces got = server.getforce();
                assertEquals("READY", server.status());

                Result want = reference.compute(s.withPositions(pos));
                assertEquals(want.energy(), got.energy(), 1e-12 * Math.max(1, Math.abs(want.energy())), "energy");
                assertArrayEquals(want.forces(), got.forces(), 1e-10, "forces");
                assertEquals(0, got.extra().length);
                if (s.anyPeriodic()) {
                    for (int i = 0; i < 9; i++) {
                        // virial = −∂E/∂ε, for slabs too, as ASE's own client sends it
                        assertEquals(-want.virial()[i], got.virial()[i], 1e-10, "virial " + i);
                        if (s.fullyPeriodic()) {
                            // = −V·σ, so that ASE's server recovers σ = −virial / V
                            assertEquals(-s.volume() * want.stress()[i], got.virial()[i], 1e-10, "virial " + i);
                        }
                    }
                    assertTrue(maxAbs(got.virial()) > 1e-6, "a periodic structure has a non-zero virial");
                } else {
                    assertArrayEquals(new double[9], got.virial(), "no virial for a molecule");
                }
            }
            server.exit();
            assertEquals(0, client.exitCode(10), client.err());
            assertTrue(client.err().contains("3 evaluations") && client.err().contains("EXIT"), client.err());
        }
    }

    @Test
    void endOfFileBetweenMessagesIsANormalEnd() throws Exception {
        Structure s = IpiFixtures.molecule();
        Path template = IpiFixtures.writeTemplate(dir, "eof.extxyz", s);
        try (IpiTestServer server = IpiTestServer.unix()) {
            IpiFixtures.ClientRun client = IpiFixtures.ClientRun.ipi(model, template, server);
            server.accept(10);
            server.status();
            server.init(0, new byte[0]); // i-PI sends an empty string when there are no parameters
            server.posdata(null, s.positions());
            server.status();
            server.getforce();
            server.closeClient(); // what ASE's SocketIOCalculator does when it is closed
            assertEquals(0, client.exitCode(10), client.err());
            assertTrue(client.err().contains("closed the connection"), client.err());
        }
    }

    @Test
    void positionsBeforeInitAreAnsweredToo() throws Exception {
        // ASE's server skips INIT when the client is READY; some skip it altogether.
        Structure s = IpiFixtures.crystal();
        Path template = IpiFixtures.writeTemplate(dir, "noinit.extxyz", s);
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = IpiFixtures.ClientRun.ipi(model, template, server);
            server.accept(10);
            server.posdata(s.cell(), s.positions());
            assertEquals("HAVEDATA", server.status());
            assertEquals(reference.compute(s).energy(), server.getforce().energy(), 1e-9);
            server.exit();
            assertEquals(0, client.exitCode(10), client.err());
        }
    }

    @Test
    void clientStartedBeforeTheServerWaitsForIt() throws Exception {
        Structure s = IpiFixtures.molecule();
        Path template = IpiFixtures.writeTemplate(dir, "early.extxyz", s);
        String name = IpiTestServer.freshName();
        IpiFixtures.ClientRun client = new IpiFixtures.ClientRun(java.util.List.of("ipi", "--model", model.toString(),
                "--input", template.toString(), "--device", "cpu", "--unix", name, "--connect-timeout", "20"));
        Thread.sleep(500);
        try (IpiTestServer server = IpiTestServer.unix(name)) {
            server.accept(20);
            assertEquals("NEEDINIT", server.status());
            server.exit();
            assertEquals(0, client.exitCode(10), client.err());
            assertTrue(client.err().contains("0 evaluations; the server sent EXIT"), client.err());
        }
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double x : a) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
