package org.painn4j.structure;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Where the columns this library uses sit on an atom line, found by name in Properties. It exists
 * so that a Properties spec is checked once per frame, and each atom line then read by position.
 */
final class ExtXyzColumns {
    String spec;
    int width;
    int species = -1;
    int z = -1;
    int pos = -1;
    int forces = -1;
    int momenta = -1;
    /** The other columns, kept as text, in file order. */
    final List<Extra> extras = new ArrayList<>();
    /** How many of the extras come before momenta. */
    int momentaAt;

    record Extra(String name, char type, int count, int at) {
    }

    static ExtXyzColumns parse(String spec) {
        ExtXyzColumns c = new ExtXyzColumns();
        c.spec = spec;
        String[] f = spec.split(":", -1);
        if (f.length % 3 != 0) {
            throw new IllegalArgumentException("not a list of name:type:count triples");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < f.length; i += 3) {
            String name = f[i];
            String type = f[i + 1];
            int count;
            try {
                count = Integer.parseInt(f[i + 2]);
            } catch (NumberFormatException e) {
                count = -1;
            }
            if (name.isEmpty() || count < 1) {
                throw new IllegalArgumentException("bad entry '" + name + ":" + type + ":" + f[i + 2] + "'");
            }
            if (!type.equals("R") && !type.equals("I") && !type.equals("S") && !type.equals("L")) {
                throw new IllegalArgumentException(name + " has unknown type '" + type + "' (R, I, S or L)");
            }
            if (!seen.add(name)) {
                throw new IllegalArgumentException(name + " appears twice");
            }
            // ASE's own names (positions, numbers, symbols) work as well as the file's.
            switch (name) {
                case "species", "symbols" -> c.species = c.place(name, type, count, "S", 1);
                case "Z", "numbers" -> c.z = c.place(name, type, count, "I", 1);
                case "pos", "positions" -> c.pos = c.place(name, type, count, "R", 3);
                case "forces" -> c.forces = c.place(name, type, count, "R", 3);
                case "momenta" -> {
                    c.momenta = c.place(name, type, count, "R", 3);
                    c.momentaAt = c.extras.size();
                }
                default -> {
                    if (!Frame.Column.validName(name)) {
                        throw new IllegalArgumentException("column name '" + name + "' has one of "
                                + Frame.Column.NOT_IN_NAMES);
                    }
                    c.extras.add(new Extra(name, type.charAt(0), count, c.width));
                    c.width += count;
                }
            }
        }
        if (c.species < 0 && c.z < 0) {
            throw new IllegalArgumentException("no species:S:1 or Z:I:1 column");
        }
        if (c.pos < 0) {
            throw new IllegalArgumentException("no pos:R:3 column");
        }
        if (c.species >= 0 && c.z >= 0) {
            // ASE lets Z override species; one source of truth is enough.
            c.species = -1;
        }
        return c;
    }

    private int place(String name, String type, int count, String wantType, int wantCount) {
        if (!type.equals(wantType) || count != wantCount) {
            throw new IllegalArgumentException(name + " must be " + name + ":" + wantType + ":" + wantCount
                    + ", got " + name + ":" + type + ":" + count);
        }
        int at = width;
        width += count;
        return at;
    }
}
