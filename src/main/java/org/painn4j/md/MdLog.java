package org.painn4j.md;

import java.io.IOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import org.painn4j.InputException;

/**
 * The log ASE's {@code MDLogger} writes (ASE 3.22, {@code ase/md/logger.py}, without stress or
 * per-atom energies), column for column and digit for digit:
 *
 * <pre>
 * Time[ps]      Etot[eV]     Epot[eV]     Ekin[eV]    T[K]
 * 0.0000        -61.0877     -61.2012       0.1135   97.6
 * </pre>
 *
 * Time is {@code "%-10.4f "}, the energies {@code "%12.Nf "} with N = 4, 3, 2 or 1 decimals for
 * up to 100, 1000, 10000 or more atoms, then {@code " %6.1f"} for T. Numbers are rounded the way
 * Python's % operator rounds: the exact binary value, ties to even.
 */
public final class MdLog {
    /** ASE's header line, without the line break. */
    public static final String HEADER = String.format("%-9s ", "Time[ps]")
            + String.format("%12s %12s %12s  %6s", "Etot[eV]", "Epot[eV]", "Ekin[eV]", "T[K]");

    private final Writer out;
    private final String name;
    private final int digits;
    private final StringBuilder line = new StringBuilder();

    /** A log for a system of the given size; writes nothing until told to. */
    public MdLog(Writer out, String name, int atoms) {
        this.out = out;
        this.name = name;
        this.digits = digits(atoms);
    }

    /** ASE's choice of decimals for the energies. */
    static int digits(int atoms) {
        if (atoms <= 100) {
            return 4;
        } else if (atoms <= 1000) {
            return 3;
        } else if (atoms <= 10000) {
            return 2;
        }
        return 1;
    }

    public void header() {
        write(HEADER + "\n");
    }

    /** One line for a state, at step·dt (ASE: {@code nsteps * dt / (1000 * fs)} ps). */
    public void write(MdState s, double dtFs) {
        double dt = dtFs * MdUnits.FS;
        double timePs = s.step() * dt / (1000 * MdUnits.FS);
        double epot = s.energy();
        double ekin = s.kineticEnergy();
        line.setLength(0);
        pad(line, fixed(timePs, 4), 10, true).append(' ');
        pad(line, fixed(epot + ekin, digits), 12, false).append(' ');
        pad(line, fixed(epot, digits), 12, false).append(' ');
        pad(line, fixed(ekin, digits), 12, false).append(' ');
        line.append(' ');
        pad(line, fixed(MdUnits.temperature(ekin, s.size()), 1), 6, false).append('\n');
        write(line.toString());
    }

    /** Writes and flushes; a failure (a full disk, say) is one line naming the file. */
    private void write(String text) {
        try {
            out.write(text);
            out.flush();
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new InputException(name + ": cannot write: " + why, e);
        }
    }

    private static StringBuilder pad(StringBuilder sb, String text, int width, boolean left) {
        if (left) {
            sb.append(text);
        }
        for (int i = text.length(); i < width; i++) {
            sb.append(' ');
        }
        if (!left) {
            sb.append(text);
        }
        return sb;
    }

    /**
     * Python's {@code '%.<digits>f' % x}. Java's own %f rounds the shortest decimal that reads back
     * to x, half up, so 0.125 and 2.675 would come out differently from Python.
     */
    static String fixed(double x, int digits) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        boolean negative = x < 0 || x == 0 && 1 / x < 0;
        String body = new BigDecimal(Math.abs(x)).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
        return negative ? "-" + body : body;
    }
}
