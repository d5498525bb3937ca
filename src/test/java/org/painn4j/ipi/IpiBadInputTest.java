package org.painn4j.ipi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.cli.Main;
import org.painn4j.structure.Structure;

/**
 * A server that breaks the protocol, goes silent or goes away: painn4j ipi ends with one line
 * on stderr and a non-zero exit code, and never hangs.
 */
class IpiBadInputTest {
    @TempDir
    static Path dir;

    private static Path model;
    private static Structure molecule;
    private static Path template;

    @BeforeAll
    static void files() throws IOException {
        model = IpiFixtures.writeModel(dir);
        molecule = IpiFixtures.molecule();
        template = IpiFixtures.writeTemplate(dir, "molecule.extxyz", molecule);
    }

    /** The last stderr line is the error: "painn4j: ..." naming the cause, with no stack trace. */
    private static void assertFailed(IpiFixtures.ClientRun client, String... words) throws InterruptedException {
        int code = client.exitCode(10);
        String err = client.err();
        assertEquals(Main.BAD_INPUT, code, err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), err);
        List<String> lines = err.lines().toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("painn4j: "), err);
        for (String w : words) {
            assertTrue(last.contains(w), "'" + w + "' missing in: " + last);
        }
    }

    /** A client that has connected and been through STATUS and INIT. */
    private static IpiFixtures.ClientRun ready(IpiTestServer server, String... extra) throws IOException {
        IpiFixtures.ClientRun client = IpiFixtures.ClientRun.ipi(model, template, server, extra);
        server.accept(10);
        server.status();
        server.init(0, new byte[0]);
        return client;
    }

    @Test
    void unknownHeader() throws Exception {
        try (IpiTestServer server = IpiTestServer.unix()) {
            IpiFixtures.ClientRun client = ready(server);
            server.send(Wire.header("HELLO"));
            assertFailed(client, "unknown message 'HELLO'", "/tmp/ipi_");
        }
    }

    @Test
    void binaryGarbageIsShownLegibly() throws Exception {
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = ready(server);
            byte[] junk = {'S', 'T', 0x01, (byte) 0xff, 'U', 'S', ' ', ' ', ' ', ' ', ' ', ' '};
            server.send(junk);
            assertFailed(client, "unknown message 'ST\\x01\\xffUS'");
        }
    }

    @Test
    void atomCountDiffersFromTemplate() throws Exception {
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = ready(server);
            double[] more = Arrays.copyOf(molecule.positions(), molecule.positions().length + 3);
            more[more.length - 1] = 9.0;
            server.posdata(null, more);
            assertFailed(client, "POSDATA #1 has 9 atoms, the template has 8");
        }
    }

    @Test
    void negativeAtomCount() throws Exception {
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = ready(server);
            server.posdata(null, new double[0], -5);
            assertFailed(client, "has -5 atoms");
        }
    }

    @Test
    void nonFinitePosition() throws Exception {
        try (IpiTestServer server = IpiTestServer.unix()) {
            IpiFixtures.ClientRun client = ready(server);
            double[] p = molecule.positions();
            p[3 * 2 + 1] = Double.NaN;
            server.posdata(null, p);
            assertFailed(client, "position of atom 2 is not finite", "y = NaN");
        }
    }

    @Test
    void nonFiniteCellOfAPeriodicTemplate() throws Exception {
        Structure crystal = IpiFixtures.crystal();
        Path t = IpiFixtures.writeTemplate(dir, "crystal.extxyz", crystal);
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = IpiFixtures.ClientRun.ipi(model, t, server);
            server.accept(10);
            double[] cell = crystal.cell();
            cell[4] = Double.POSITIVE_INFINITY;
            server.posdata(cell, crystal.positions());
            assertFailed(client, "the cell is not finite");
        }
    }

    @Test
    void getforceBeforePosdata() throws Exception {
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = ready(server);
            server.send(Wire.header("GETFORCE"));
            assertFailed(client, "GETFORCE with no result waiting");
        }
    }

    @Test
    void absurdInitLength() throws Exception {
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = IpiFixtures.ClientRun.ipi(model, template, server);
            server.accept(10);
            ByteBuffer b = Wire.buffer(20);
            b.put(Wire.header("INIT")).putInt(0).putInt(-1).flip();
            server.send(b);
            assertFailed(client, "INIT announces -1 bytes");
        }
    }

    @Test
    void truncatedMessage() throws Exception {
        try (IpiTestServer server = IpiTestServer.unix()) {
            IpiFixtures.ClientRun client = ready(server);
            ByteBuffer full = IpiTestServer.posdataBytes(null, molecule.positions(), molecule.size());
            server.send(ByteBuffer.wrap(full.array(), 0, 12 + 40));
            server.closeClient();
            assertFailed(client, "closed the connection in the middle of POSDATA", "40 of 148 bytes");
        }
    }

    @Test
    void truncatedPositions() throws Exception {
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = ready(server);
            ByteBuffer full = IpiTestServer.posdataBytes(null, molecule.positions(), molecule.size());
            server.send(ByteBuffer.wrap(full.array(), 0, full.limit() - 8));
            server.closeClient();
            assertFailed(client, "in the middle of POSDATA (positions)");
        }
    }

    @Test
    void truncatedHeader() throws Exception {
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = ready(server);
            server.send("STAT".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            server.closeClient();
            assertFailed(client, "in the middle of a message header");
        }
    }

    @Test
    void serverVanishesMidMessage() throws Exception {
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = ready(server);
            ByteBuffer full = IpiTestServer.posdataBytes(null, molecule.positions(), molecule.size());
            server.send(ByteBuffer.wrap(full.array(), 0, 12 + 100));
            server.resetClient();
            // Linux drops unread data when a reset arrives, so the client may see the reset
            // before the header, or the partial message and then the reset.
            assertFailed(client, "TCP 127.0.0.1:", "connection");
        }
    }

    @Test
    void serverFallsSilentMidMessage() throws Exception {
        try (IpiTestServer server = IpiTestServer.tcp()) {
            IpiFixtures.ClientRun client = ready(server, "--timeout", "0.5");
            long start = System.nanoTime();
            ByteBuffer full = IpiTestServer.posdataBytes(null, molecule.positions(), molecule.size());
            server.send(ByteBuffer.wrap(full.array(), 0, 12 + 60));
            assertFailed(client, "waited 0.5 s for the server to send POSDATA", "--timeout");
            assertTrue((System.nanoTime() - start) / 1e9 < 5);
        }
    }

    @Test
    void serverFallsSilentBetweenMessages() throws Exception {
        try (IpiTestServer server = IpiTestServer.unix()) {
            IpiFixtures.ClientRun client = ready(server, "--timeout", "0.5");
            assertFailed(client, "to send a message header");
        }
    }

    @Test
    void noServer() throws Exception {
        long start = System.nanoTime();
        String name = "painn4j-test-nobody-" + ProcessHandle.current().pid();
        IpiFixtures.ClientRun client = new IpiFixtures.ClientRun(List.of("ipi", "--model", model.toString(),
                "--input", template.toString(), "--device", "cpu", "--unix", name, "--connect-timeout", "0.3"));
        assertFailed(client, "/tmp/ipi_" + name, "cannot connect", "no such socket");
        assertTrue((System.nanoTime() - start) / 1e9 < 5);
    }

    @Test
    void nobodyListeningOnTheTcpPort() throws Exception {
        int port;
        try (IpiTestServer server = IpiTestServer.tcp()) {
            port = Integer.parseInt(server.clientArgs().get(3));
        }
        IpiFixtures.ClientRun client = new IpiFixtures.ClientRun(List.of("ipi", "--model", model.toString(),
                "--input", template.toString(), "--device", "cpu", "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--connect-timeout", "0"));
        assertFailed(client, "TCP 127.0.0.1:" + port, "cannot connect", "refused");
    }

    @Test
    void unixAndTcpTogether() {
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"ipi", "--model", model.toString(), "--input", template.toString(),
                "--unix", "x", "--port", "31415"}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(Main.BAD_INPUT, code);
        assertTrue(err.toString().contains("--unix and --host/--port exclude each other"), err.toString());
    }

    @Test
    void missingTemplate() {
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"ipi", "--model", model.toString(), "--input", dir.resolve("none.extxyz").toString(),
                "--unix", "x"}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(Main.BAD_INPUT, code);
        assertTrue(err.toString().contains("none.extxyz: no such file"), err.toString());
    }
}
