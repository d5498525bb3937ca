package org.painn4j.structure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.painn4j.InputException;

/**
 * One frame of an extended XYZ file parsed into a Frame: the atom count, the comment line and the
 * atom lines, with what the frame itself uses checked. An instance is the frame being parsed:
 * everything an error message needs to say where it is (file, frame and line), kept apart from
 * the reader that walks the file.
 */
final class ExtXyzParser {
    private final ExtXyz.FrameReader source;
    private final int index;
    private final int headerLine;

    ExtXyzParser(ExtXyz.FrameReader source, int index, int headerLine) {
        this.source = source;
        this.index = index;
        this.headerLine = headerLine;
    }

    Frame parse(String countLine) {
        int n = atomCount(countLine);
        String comment = source.readLine();
        if (comment == null) {
            throw error(headerLine, "file ends before the comment line");
        }
        int commentLine = source.lineNumber();
        Map<String, String> keys;
        try {
            keys = ExtXyzSyntax.parseComment(comment);
        } catch (IllegalArgumentException e) {
            throw error(commentLine, "comment line: " + e.getMessage());
        }
        Header h = new Header(keys, commentLine);
        ExtXyzColumns columns = columns(keys.getOrDefault("Properties", ExtXyz.DEFAULT_PROPERTIES), commentLine);
        return atoms(n, h, columns);
    }

    private int atomCount(String s) {
        String t = s.trim();
        int n;
        try {
            n = Integer.parseInt(t);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n <= 0) {
            throw error(headerLine, "expected the atom count (a positive integer), got '" + clip(t) + "'");
        }
        if (n > Integer.MAX_VALUE / 3) {
            throw error(headerLine, "atom count " + n + " is too large");
        }
        return n;
    }

    /** The comment-line keys the frame itself uses, checked; the rest become info. */
    private final class Header {
        final double[] cell;
        final boolean[] pbc;
        final Double energy;
        final double[] stress;
        final Map<String, String> info = new LinkedHashMap<>();

        Header(Map<String, String> keys, int lineNo) {
            String lattice = keys.get("Lattice");
            String pbcText = keys.get("pbc");
            cell = lattice == null ? null : lattice(lattice, lineNo);
            if (pbcText != null) {
                pbc = pbc(pbcText, lineNo);
            } else {
                // ASE's rule: a Lattice alone means periodic along all three axes.
                pbc = new boolean[] {cell != null, cell != null, cell != null};
            }
            boolean periodic = pbc[0] || pbc[1] || pbc[2];
            if (cell == null && periodic) {
                throw error(lineNo, "pbc=\"" + pbcText + "\" without Lattice");
            }
            if (cell != null && periodic) {
                periodicRows(cell, pbc, lineNo);
            }
            String e = keys.get("energy");
            energy = e == null ? null : energy(e, lineNo);
            String s = keys.get("stress");
            stress = s == null ? null : stress(s, lineNo);
            for (Map.Entry<String, String> kv : keys.entrySet()) {
                // ASE itself cannot write an empty value so that it reads back, so drop it.
                if (!Frame.RESERVED_KEYS.contains(kv.getKey()) && !kv.getValue().isEmpty()) {
                    info.put(kv.getKey(), kv.getValue());
                }
            }
        }
    }

    /**
     * Only the cell rows of periodic axes must span a lattice: ASE writes slabs and wires with
     * the rows of their open axes zero, and the neighbor search never uses those rows.
     */
    private void periodicRows(double[] cell, boolean[] pbc, int lineNo) {
        int[] p = new int[3];
        int np = 0;
        for (int d = 0; d < 3; d++) {
            if (pbc[d]) {
                if (length(cell, d) == 0) {
                    throw error(lineNo, "Lattice vector " + "abc".charAt(d) + " is zero but pbc is "
                            + ExtXyzFormat.pbcString(pbc) + " (a periodic axis needs a non-zero cell vector)");
                }
                p[np++] = d;
            }
        }
        if (np == 3 && singular(cell)) {
            throw error(lineNo, "Lattice is singular (zero volume) but pbc is " + ExtXyzFormat.pbcString(pbc));
        }
        if (np == 2) {
            int a = 3 * p[0];
            int b = 3 * p[1];
            double x = cell[a + 1] * cell[b + 2] - cell[a + 2] * cell[b + 1];
            double y = cell[a + 2] * cell[b] - cell[a] * cell[b + 2];
            double z = cell[a] * cell[b + 1] - cell[a + 1] * cell[b];
            if (Math.sqrt(x * x + y * y + z * z) <= 1e-12 * length(cell, p[0]) * length(cell, p[1])) {
                throw error(lineNo, "Lattice vectors " + "abc".charAt(p[0]) + " and " + "abc".charAt(p[1])
                        + " are parallel (zero area) but pbc is " + ExtXyzFormat.pbcString(pbc));
            }
        }
    }

    private double[] lattice(String text, int lineNo) {
        String[] t = ExtXyzSyntax.values(text);
        if (t.length != 9) {
            throw error(lineNo, "Lattice needs 9 numbers (three cell vectors), got " + t.length);
        }
        double[] cell = new double[9];
        for (int i = 0; i < 9; i++) {
            cell[i] = number(t[i], lineNo, "Lattice");
            if (!Double.isFinite(cell[i])) {
                throw error(lineNo, "Lattice has a NaN or infinite entry '" + t[i] + "'");
            }
        }
        return cell;
    }

    private boolean[] pbc(String text, int lineNo) {
        String[] t = ExtXyzSyntax.values(text);
        if (t.length != 1 && t.length != 3) {
            throw error(lineNo, "pbc needs 3 flags like \"T T F\", got \"" + clip(text) + "\"");
        }
        boolean[] pbc = new boolean[3];
        for (int i = 0; i < 3; i++) {
            String f = t[t.length == 1 ? 0 : i];
            switch (f.toLowerCase()) {
                case "t", "true", "1" -> pbc[i] = true;
                case "f", "false", "0" -> pbc[i] = false;
                default -> throw error(lineNo, "pbc flag '" + clip(f) + "' is not T or F");
            }
        }
        return pbc;
    }

    private double energy(String text, int lineNo) {
        String[] t = ExtXyzSyntax.values(text);
        if (t.length != 1) {
            throw error(lineNo, "energy needs one number, got \"" + clip(text) + "\"");
        }
        return number(t[0], lineNo, "energy");
    }

    /** A 3x3 stress, row-major. */
    private double[] stress(String text, int lineNo) {
        String[] t = ExtXyzSyntax.values(text);
        double[] v = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            v[i] = number(t[i], lineNo, "stress");
        }
        if (v.length == 9) {
            // Fortran order as ASE writes it: the transpose of reading the values row by row.
            return Mat3.transpose(v);
        }
        if (v.length == 6) {
            // Voigt order xx yy zz yz xz xy.
            return new double[] {v[0], v[5], v[4], v[5], v[1], v[3], v[4], v[3], v[2]};
        }
        throw error(lineNo, "stress needs 9 numbers (or 6 in Voigt order), got " + v.length);
    }

    private ExtXyzColumns columns(String properties, int lineNo) {
        try {
            return ExtXyzColumns.parse(properties);
        } catch (IllegalArgumentException e) {
            throw error(lineNo, "Properties=" + clip(properties) + ": " + e.getMessage());
        }
    }

    private Frame atoms(int n, Header h, ExtXyzColumns c) {
        int capacity = Math.min(n, 1 << 16);
        int[] numbers = new int[capacity];
        double[] pos = new double[3 * capacity];
        double[] forces = c.forces < 0 ? null : new double[3 * capacity];
        double[] momenta = c.momenta < 0 ? null : new double[3 * capacity];
        String[][] extra = new String[c.extras.size()][];
        for (int e = 0; e < extra.length; e++) {
            extra[e] = new String[c.extras.get(e).count() * capacity];
        }
        int[] start = new int[c.width];
        int[] end = new int[c.width];
        for (int a = 0; a < n; a++) {
            String s = source.readLine();
            if (s == null) {
                throw error(headerLine, "expected " + n + " atom lines, file ends after " + a);
            }
            int lineNo = source.lineNumber();
            if (a == capacity) {
                // Grown as lines arrive, so that a wrong count cannot ask for a huge array.
                capacity = (int) Math.min(n, 2L * capacity);
                numbers = Arrays.copyOf(numbers, capacity);
                pos = Arrays.copyOf(pos, 3 * capacity);
                forces = forces == null ? null : Arrays.copyOf(forces, 3 * capacity);
                momenta = momenta == null ? null : Arrays.copyOf(momenta, 3 * capacity);
                for (int e = 0; e < extra.length; e++) {
                    extra[e] = Arrays.copyOf(extra[e], c.extras.get(e).count() * capacity);
                }
            }
            int found = ExtXyzSyntax.split(s, start, end);
            if (found < c.width) {
                throw error(lineNo, "atom " + a + " has " + found + " columns, Properties needs "
                        + c.width + " (" + c.spec + ")");
            }
            numbers[a] = c.z >= 0 ? atomicNumber(s.substring(start[c.z], end[c.z]), a, lineNo)
                    : element(s.substring(start[c.species], end[c.species]), a, lineNo);
            for (int k = 0; k < 3; k++) {
                String t = s.substring(start[c.pos + k], end[c.pos + k]);
                double x = number(t, lineNo, "atom " + a + " position");
                if (!Double.isFinite(x)) {
                    throw error(lineNo, "atom " + a + " position is NaN or infinite ('" + t + "')");
                }
                pos[3 * a + k] = x;
                if (forces != null) {
                    forces[3 * a + k] = number(s.substring(start[c.forces + k], end[c.forces + k]),
                            lineNo, "atom " + a + " force");
                }
                if (momenta != null) {
                    momenta[3 * a + k] = number(s.substring(start[c.momenta + k], end[c.momenta + k]),
                            lineNo, "atom " + a + " momentum");
                }
            }
            for (int e = 0; e < extra.length; e++) {
                ExtXyzColumns.Extra x = c.extras.get(e);
                for (int k = 0; k < x.count(); k++) {
                    String t = s.substring(start[x.at() + k], end[x.at() + k]);
                    if (!Frame.Column.valid(x.type(), t)) {
                        throw error(lineNo, "atom " + a + " " + x.name() + " '" + clip(t) + "' is not "
                                + Frame.Column.what(x.type()) + " (" + x.name() + ":" + x.type() + ":" + x.count() + ")");
                    }
                    extra[e][a * x.count() + k] = t;
                }
            }
        }
        Structure structure = new Structure(Arrays.copyOf(numbers, n),
                Arrays.copyOf(pos, 3 * n), h.cell, h.pbc);
        List<Frame.Column> columns = new ArrayList<>(extra.length);
        for (int e = 0; e < extra.length; e++) {
            ExtXyzColumns.Extra x = c.extras.get(e);
            columns.add(new Frame.Column(x.name(), x.type(), x.count(), Arrays.copyOf(extra[e], x.count() * n)));
        }
        return new Frame(structure, h.energy, forces == null ? null : Arrays.copyOf(forces, 3 * n),
                h.stress, momenta == null ? null : Arrays.copyOf(momenta, 3 * n), h.info, headerLine,
                columns, c.momentaAt);
    }

    private int element(String symbol, int atom, int lineNo) {
        // ASE capitalises species ("CL" and "cl" are chlorine), so do the same.
        String s = symbol.isEmpty() ? symbol
                : symbol.substring(0, 1).toUpperCase() + symbol.substring(1).toLowerCase();
        int z = Elements.number(s);
        if (z < 0) {
            throw error(lineNo, "atom " + atom + " has unknown element '" + clip(symbol) + "'");
        }
        return z;
    }

    private int atomicNumber(String text, int atom, int lineNo) {
        int z;
        try {
            z = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw error(lineNo, "atom " + atom + " has atomic number '" + clip(text) + "', not an integer");
        }
        if (z < 1 || z > Elements.MAX_Z) {
            throw error(lineNo, "atom " + atom + " has atomic number " + z + ", outside 1.." + Elements.MAX_Z);
        }
        return z;
    }

    private double number(String text, int lineNo, String what) {
        try {
            return ExtXyzSyntax.parseReal(text);
        } catch (NumberFormatException e) {
            throw error(lineNo, what + " '" + clip(text) + "' is not a number");
        }
    }

    private InputException error(int lineNo, String message) {
        return new InputException(source.name() + ": frame " + index + " (line " + lineNo + "): " + message);
    }

    private static boolean singular(double[] cell) {
        // Relative to the lengths of the cell vectors, so that tiny and huge cells are judged alike.
        double scale = length(cell, 0) * length(cell, 1) * length(cell, 2);
        return scale == 0 || Math.abs(Mat3.det(cell)) <= 1e-12 * scale;
    }

    private static double length(double[] cell, int row) {
        return Math.sqrt(cell[3 * row] * cell[3 * row] + cell[3 * row + 1] * cell[3 * row + 1]
                + cell[3 * row + 2] * cell[3 * row + 2]);
    }

    /** At most 40 characters of s for a message, control and invisible characters written as hex escapes. */
    private static String clip(String s) {
        String cut = s.length() <= 40 ? s : s.substring(0, 37) + "...";
        StringBuilder b = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> {
            int type = Character.getType(c);
            if (Character.isISOControl(c) || type == Character.FORMAT || type == Character.UNASSIGNED) {
                b.append(String.format(java.util.Locale.ROOT, "\\u%04X", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
