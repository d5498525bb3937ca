package org.painn4j.structure;

import java.util.List;
import java.util.Map;

/**
 * One frame written as extended XYZ text, as {@code ase.io.write(format="extxyz")} writes the
 * same atoms and results: ASE's column and key order, quoting that ASE's parser reads back, and
 * every number spelled so that it reads back to the same double. It exists so that a file
 * writer and an in-memory formatter produce the same text.
 */
final class ExtXyzFormat {
    /** Wide enough for most doubles, so that the columns of a file line up. */
    private static final int NUMBER_WIDTH = 22;

    private ExtXyzFormat() {
    }

    /** Appends the frame: the atom count, the comment line and one line per atom. */
    static void append(StringBuilder sb, Frame frame) {
        Structure s = frame.structure();
        int n = s.size();
        sb.append(n).append('\n');
        double[] cell = s.cell();
        if (cell != null) {
            // Rows a, b, c: ASE writes the transpose of its cell in Fortran order, which is this.
            sb.append("Lattice=\"");
            joinNumbers(sb, cell);
            sb.append("\" ");
        }
        sb.append("Properties=").append(ExtXyz.DEFAULT_PROPERTIES);
        double[] momenta = frame.momenta();
        double[] forces = frame.forces();
        List<Frame.Column> columns = frame.columns();
        // ASE's column order: species, pos, its other arrays in the order they were read (momenta
        // among them), then calculator results (forces).
        int momentaAt = momenta == null ? -1 : frame.momentaAt();
        for (int i = 0; i <= columns.size(); i++) {
            if (i == momentaAt) {
                sb.append(":momenta:R:3");
            }
            if (i < columns.size()) {
                Frame.Column c = columns.get(i);
                sb.append(':').append(c.name()).append(':').append(c.type()).append(':').append(c.count());
            }
        }
        if (forces != null) {
            sb.append(":forces:R:3");
        }
        // ASE's key order: info, then results, then pbc.
        for (Map.Entry<String, String> kv : frame.info().entrySet()) {
            sb.append(' ').append(quote(kv.getKey())).append('=').append(quote(kv.getValue()));
        }
        if (frame.energy() != null) {
            sb.append(" energy=").append(number(frame.energy()));
        }
        double[] stress = frame.stress();
        if (stress != null) {
            // Fortran order, as ASE writes its 3x3 stress; the same as row order when symmetric.
            sb.append(" stress=\"");
            joinNumbers(sb, Mat3.transpose(stress));
            sb.append('"');
        }
        sb.append(" pbc=\"").append(pbcString(s.pbc())).append("\"\n");
        double[] pos = s.positions();
        for (int a = 0; a < n; a++) {
            String symbol = Elements.symbol(s.number(a));
            sb.append(symbol);
            if (symbol.length() == 1) {
                sb.append(' ');
            }
            column(sb, pos, a);
            for (int i = 0; i <= columns.size(); i++) {
                if (i == momentaAt) {
                    column(sb, momenta, a);
                }
                if (i < columns.size()) {
                    Frame.Column c = columns.get(i);
                    // Right-aligned like ASE's %16.8f and %8d, so that columns line up.
                    int width = c.type() == 'R' ? NUMBER_WIDTH : c.type() == 'I' ? 8 : 0;
                    for (int k = 0; k < c.count(); k++) {
                        String t = c.value(a, k);
                        sb.append(' ');
                        for (int pad = t.length(); pad < width; pad++) {
                            sb.append(' ');
                        }
                        sb.append(t);
                    }
                }
            }
            if (forces != null) {
                column(sb, forces, a);
            }
            sb.append('\n');
        }
    }

    private static void column(StringBuilder sb, double[] values, int atom) {
        for (int k = 0; k < 3; k++) {
            String t = number(values[3 * atom + k]);
            sb.append(' ');
            for (int pad = t.length(); pad < NUMBER_WIDTH; pad++) {
                sb.append(' ');
            }
            sb.append(t);
        }
    }

    private static void joinNumbers(StringBuilder sb, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(number(values[i]));
        }
    }

    /**
     * The shortest text Java gives that reads back to the same double, spelled so that Python's
     * float() and numpy read it too (lower-case exponent, nan and inf as Python writes them).
     */
    static String number(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        return Double.toString(x).replace('E', 'e');
    }

    /** A key or value as ASE's comment-line parser will read it back: quoted and escaped when needed. */
    private static String quote(String s) {
        boolean plain = !s.isEmpty();
        for (int i = 0; i < s.length() && plain; i++) {
            char ch = s.charAt(i);
            plain = !Character.isWhitespace(ch) && "\"'{}[]=\\".indexOf(ch) < 0;
        }
        if (plain) {
            return s;
        }
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** The pbc flags as ASE writes them, "T T F". */
    static String pbcString(boolean[] pbc) {
        return (pbc[0] ? "T" : "F") + " " + (pbc[1] ? "T" : "F") + " " + (pbc[2] ? "T" : "F");
    }
}
