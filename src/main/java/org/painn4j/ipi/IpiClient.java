package org.painn4j.ipi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.painn4j.InputException;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Result;
import org.painn4j.structure.Structure;

/**
 * The client side of the i-PI socket protocol: the server (i-PI, ASE's SocketIOCalculator)
 * sends positions and a cell, this client answers with energy, forces and virial from a
 * {@link Calculator}. The server drives; the client only answers, until the server sends EXIT
 * or closes the connection between two messages.
 *
 * <p>The protocol carries positions and cell only, so the species, their order and the
 * periodic boundary conditions come from a template structure. Its positions and cell are
 * not used. Units on the wire are atomic (bohr, hartree; see {@link AtomicUnits}).
 */
public final class IpiClient {
    /** What one connection did, from the first message to EXIT or the end of the connection. */
    public record Summary(int evaluations, long computeNanos, boolean exitReceived) {
    }

    /** Limits on what a server may ask us to allocate; far above any real use. */
    private static final int MAX_INIT_BYTES = 1 << 24;

    private static final int CELL_BYTES = 2 * 9 * 8 + 4;

    private final Calculator calculator;
    private final Structure template;

    public IpiClient(Calculator calculator, Structure template) {
        this.calculator = calculator;
        this.template = template;
    }

    /**
     * Answers the server on a connected channel until it sends EXIT or closes the connection
     * between messages; closes the channel.
     *
     * @param timeoutSeconds longest silence of the server, between messages or inside one; 0 for none
     * @throws IpiException on a protocol violation, a lost connection or a time-out
     * @throws InputException when the model cannot evaluate what the server sent
     */
    public Summary serve(SocketChannel channel, double timeoutSeconds) {
        try (Wire wire = new Wire(channel, timeoutSeconds, "the server")) {
            return loop(wire);
        } catch (IOException e) {
            throw new IpiException("socket error: " + e.getMessage(), e);
        }
    }

    private Summary loop(Wire wire) {
        boolean initialized = false;
        ByteBuffer pending = null; // the FORCEREADY message waiting for GETFORCE
        int evaluations = 0;
        long computeNanos = 0;
        while (true) {
            String header = wire.readHeaderOrEnd();
            if (header == null) {
                return new Summary(evaluations, computeNanos, false);
            }
            switch (header) {
                case "STATUS" -> {
                    String state = !initialized ? "NEEDINIT" : pending != null ? "HAVEDATA" : "READY";
                    wire.write(ByteBuffer.wrap(Wire.header(state)), "the " + state + " reply");
                }
                case "INIT" -> {
                    readInit(wire);
                    initialized = true;
                }
                case "POSDATA" -> {
                    Structure s = readPositions(wire, evaluations + 1);
                    long start = System.nanoTime();
                    // Computed now, before the next STATUS: ASE expects HAVEDATA as the very next answer.
                    pending = forceMessage(s, evaluate(s, evaluations + 1));
                    computeNanos += System.nanoTime() - start;
                    evaluations++;
                    // Some servers skip INIT and send positions straight away; that is fine too.
                    initialized = true;
                }
                case "GETFORCE" -> {
                    if (pending == null) {
                        throw new IpiException("the server sent GETFORCE with no result waiting"
                                + " (no POSDATA since the last GETFORCE)");
                    }
                    wire.write(pending, "FORCEREADY and the forces");
                    pending = null;
                }
                case "EXIT" -> {
                    return new Summary(evaluations, computeNanos, true);
                }
                default -> throw new IpiException("unknown message '" + header
                        + "' from the server (expected STATUS, INIT, POSDATA, GETFORCE or EXIT)");
            }
        }
    }

    /** The bead index and an initialisation string; painn4j needs neither. */
    private static void readInit(Wire wire) {
        ByteBuffer b = wire.read(8, "INIT");
        b.getInt();
        int length = b.getInt();
        if (length < 0 || length > MAX_INIT_BYTES) {
            throw new IpiException("INIT announces " + length + " bytes of initialisation string");
        }
        wire.read(length, "INIT (initialisation string)");
    }

    private Structure readPositions(Wire wire, int step) {
        ByteBuffer b = wire.read(CELL_BYTES, "POSDATA");
        double[] h = new double[9];
        for (int i = 0; i < 9; i++) {
            h[i] = b.getDouble();
        }
        b.position(b.position() + 9 * 8); // the inverse cell; the neighbor list makes its own
        int natoms = b.getInt();
        if (natoms != template.size()) {
            throw new IpiException("POSDATA #" + step + " has " + natoms + " atoms, the template has "
                    + template.size());
        }
        ByteBuffer p = wire.read(24 * natoms, "POSDATA (positions)");
        double[] bohr = new double[3 * natoms];
        for (int i = 0; i < bohr.length; i++) {
            bohr[i] = p.getDouble();
        }
        return structure(template, h, bohr, step);
    }

    /**
     * The template's atoms at the server's positions. The server's h holds the lattice
     * vectors as columns, sent row by row (ASE sends cell.T); painn4j's cell holds them as rows.
     * Without periodic axes in the template the cell is ignored: servers send zeros or junk.
     */
    static Structure structure(Structure template, double[] h, double[] positionsBohr, int step) {
        double[] pos = new double[positionsBohr.length];
        for (int i = 0; i < pos.length; i++) {
            double x = positionsBohr[i];
            if (!Double.isFinite(x)) {
                throw new IpiException("POSDATA #" + step + ": position of atom " + i / 3 + " is not finite ("
                        + "xyz".charAt(i % 3) + " = " + x + ")");
            }
            pos[i] = x * AtomicUnits.BOHR;
        }
        if (!template.anyPeriodic()) {
            return new Structure(template.numbers(), pos, null, template.pbc());
        }
        double[] cell = new double[9];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                double x = h[3 * c + r];
                if (!Double.isFinite(x)) {
                    throw new IpiException("POSDATA #" + step + ": the cell is not finite (" + x + ")");
                }
                cell[3 * r + c] = x * AtomicUnits.BOHR;
            }
        }
        return new Structure(template.numbers(), pos, cell, template.pbc());
    }

    private Result evaluate(Structure s, int step) {
        Result r;
        try {
            r = calculator.compute(s);
        } catch (IpiException e) {
            throw e;
        } catch (InputException e) {
            throw new InputException("POSDATA #" + step + ": " + e.getMessage(), e);
        }
        // ASE refuses non-finite numbers outright; say here which step produced them.
        if (!Double.isFinite(r.energy())) {
            throw new InputException("POSDATA #" + step + ": the energy is not finite (" + r.energy() + ")");
        }
        for (int i = 0; i < r.forces().length; i++) {
            if (!Double.isFinite(r.forces()[i])) {
                throw new InputException("POSDATA #" + step + ": the force on atom " + i / 3 + " is not finite");
            }
        }
        return r;
    }

    /**
     * FORCEREADY, energy (hartree), natoms, forces (hartree/bohr), virial (hartree), and an
     * empty extra string, in one buffer so that it leaves in one write.
     */
    static ByteBuffer forceMessage(Structure s, Result r) {
        int n = s.size();
        ByteBuffer b = Wire.buffer(Wire.HEADER_BYTES + 8 + 4 + 24 * n + 72 + 4);
        b.put(Wire.header("FORCEREADY"));
        b.putDouble(r.energy() / AtomicUnits.HARTREE);
        b.putInt(n);
        for (double f : r.forces()) {
            b.putDouble(f / AtomicUnits.FORCE);
        }
        for (double w : virial(r)) {
            b.putDouble(w / AtomicUnits.HARTREE);
        }
        b.putInt(0);
        b.flip();
        return b;
    }

    /**
     * The virial −dE/dε in eV (= −V·σ where there is a stress: what ASE's own client sends, and
     * what ASE's server turns back into σ = −virial/V) for a structure periodic along at least
     * one axis, as ASE's client does; zeros for a molecule. The tensor is symmetric, so row or
     * column order on the wire does not matter.
     */
    static double[] virial(Result r) {
        double[] w = new double[9];
        if (r.virial() == null) {  // a molecule (Result.virial)
            return w;
        }
        for (int i = 0; i < 9; i++) {
            w[i] = -r.virial()[i];
        }
        return w;
    }
}
