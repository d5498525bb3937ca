package org.painn4j.ipi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.painn4j.structure.Mat3;

/**
 * The server side of the i-PI protocol, as i-PI and ASE's SocketIOCalculator speak it, for
 * driving the client in tests: every message is laid out here by hand from the protocol's
 * description, independently of the client's encoder. Units at this class's surface are
 * painn4j's (Å, eV); it converts to and from atomic units on the wire.
 */
final class IpiTestServer implements AutoCloseable {
    /** What FORCEREADY carried, converted to eV, eV/Å and eV. */
    record Forces(double energy, double[] forces, double[] virial, byte[] extra) {
    }

    private final ServerSocketChannel server;
    private final Path unixPath;
    private final String unixName;
    private final int port;
    private SocketChannel client;
    private Wire wire;

    private IpiTestServer(ServerSocketChannel server, Path unixPath, String unixName, int port) {
        this.server = server;
        this.unixPath = unixPath;
        this.unixName = unixName;
        this.port = port;
    }

    /** Listens on /tmp/ipi_NAME with a fresh NAME, as ASE and i-PI name unix sockets. */
    static IpiTestServer unix() throws IOException {
        return unix(freshName());
    }

    static String freshName() {
        return "painn4j-test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static IpiTestServer unix(String name) throws IOException {
        Path path = Path.of(Endpoint.UNIX_PREFIX + name);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        return new IpiTestServer(s, path, name, 0);
    }

    /** Listens on a free TCP port of the loopback interface. */
    static IpiTestServer tcp() throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.INET);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return new IpiTestServer(s, null, null, ((InetSocketAddress) s.getLocalAddress()).getPort());
    }

    boolean isUnix() {
        return unixPath != null;
    }

    /** The options that point painn4j ipi at this server. */
    List<String> clientArgs() {
        return isUnix() ? List.of("--unix", unixName) : List.of("--host", "127.0.0.1", "--port", Integer.toString(port));
    }

    void accept(double seconds) throws IOException {
        server.configureBlocking(false);
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        try (Selector selector = Selector.open()) {
            server.register(selector, SelectionKey.OP_ACCEPT);
            while ((client = server.accept()) == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("no client connected within " + seconds + " s");
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
        }
        wire = new Wire(client, 10, "the client");
    }

    String status() {
        send(Wire.header("STATUS"));
        return wire.readHeaderOrEnd();
    }

    void init(int bead, byte[] text) {
        ByteBuffer b = Wire.buffer(12 + 8 + text.length);
        b.put(Wire.header("INIT")).putInt(bead).putInt(text.length).put(text).flip();
        send(b);
    }

    /** POSDATA for a cell (lattice vectors as rows, Å; null sends zeros, as ASE does for a molecule). */
    void posdata(double[] cellRows, double[] positions) {
        posdata(cellRows, positions, positions.length / 3);
    }

    /** POSDATA announcing {@code natoms} atoms whatever the positions' length. */
    void posdata(double[] cellRows, double[] positions, int natoms) {
        send(posdataBytes(cellRows, positions, natoms));
    }

    static ByteBuffer posdataBytes(double[] cellRows, double[] positions, int natoms) {
        // h has the lattice vectors as columns and goes row by row: h[r][c] = cell[c][r].
        double[] h = new double[9];
        if (cellRows != null) {
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) {
                    h[3 * r + c] = cellRows[3 * c + r] / AtomicUnits.BOHR;
                }
            }
        }
        double[] ih = Math.abs(Mat3.det(h)) > 0 ? Mat3.inverse(h) : new double[9];
        ByteBuffer b = Wire.buffer(12 + 144 + 4 + 8 * positions.length);
        b.put(Wire.header("POSDATA"));
        for (double x : h) {
            b.putDouble(x);
        }
        for (double x : ih) {
            b.putDouble(x);
        }
        b.putInt(natoms);
        for (double x : positions) {
            b.putDouble(x / AtomicUnits.BOHR);
        }
        b.flip();
        return b;
    }

    Forces getforce() {
        send(Wire.header("GETFORCE"));
        String reply = wire.readHeaderOrEnd();
        if (!"FORCEREADY".equals(reply)) {
            throw new AssertionError("expected FORCEREADY, got " + reply);
        }
        ByteBuffer head = wire.read(12, "energy and natoms");
        double energy = head.getDouble() * AtomicUnits.HARTREE;
        int n = head.getInt();
        ByteBuffer f = wire.read(24 * n + 72 + 4, "forces and virial");
        double[] forces = new double[3 * n];
        for (int i = 0; i < forces.length; i++) {
            forces[i] = f.getDouble() * AtomicUnits.HARTREE / AtomicUnits.BOHR;
        }
        double[] virial = new double[9];
        for (int i = 0; i < 9; i++) {
            virial[i] = f.getDouble() * AtomicUnits.HARTREE;
        }
        int extraLength = f.getInt();
        byte[] extra = new byte[extraLength];
        wire.read(extraLength, "extra").get(extra);
        return new Forces(energy, forces, virial, extra);
    }

    void exit() {
        send(Wire.header("EXIT"));
    }

    void send(byte[] raw) {
        send(ByteBuffer.wrap(raw));
    }

    void send(ByteBuffer b) {
        wire.write(b, "test data");
    }

    /** Closes the connection the ordinary way (end of file at the client). */
    void closeClient() throws IOException {
        // Through the wire, which closes its selector first: a channel still registered with
        // a selector is only shut down for output, its socket closed at deregistration.
        wire.close();
    }

    /** Drops the connection with a reset, as a crashed host or a killed router would (TCP only). */
    void resetClient() throws IOException {
        client.setOption(StandardSocketOptions.SO_LINGER, 0);
        wire.close();
    }

    @Override
    public void close() throws IOException {
        try {
            if (wire != null) {
                wire.close();
            }
            server.close();
        } finally {
            if (unixPath != null) {
                Files.deleteIfExists(unixPath);
            }
        }
    }
}
