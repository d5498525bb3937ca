package org.painn4j.structure;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One frame of an extended XYZ file: the structure, whatever results it carries, and the other
 * comment-line keys, kept in their order so that writing the frame out again loses nothing.
 *
 * <p>Units are ASE's: energy in eV, forces in eV/Å, stress in eV/Å³ as a row-major 3x3 matrix
 * (ASE's sign convention), momenta in ASE's units (amu·Å per ASE time unit, of which one fs is
 * about 0.0982), stored as given.
 * Absent results are null. Arrays are copied in and out, so a frame never changes.
 *
 * @param info       other comment-line keys and their raw (unquoted) values, in file order; never
 *                   one of the keys this class holds itself ({@link #RESERVED_KEYS})
 * @param lineNumber the 1-based line of the frame's atom count in its source file; 0 when the
 *                   frame was made in memory
 * @param columns    the other per-atom columns of the source file (tags, masses, labels, ...), in
 *                   file order, kept as text so that writing the frame out again loses nothing;
 *                   never one of the columns this class holds itself ({@link #RESERVED_COLUMNS});
 *                   empty when there are none
 * @param momentaAt  where the momenta stood among those columns: after the first momentaAt of
 *                   them (0 when there are no momenta), so that they are written back in place
 */
public record Frame(Structure structure, Double energy, double[] forces, double[] stress,
                    double[] momenta, Map<String, String> info, int lineNumber,
                    List<Column> columns, int momentaAt) {

    /** Keys the extended XYZ comment line gives to the structure and results, not to info. */
    public static final Set<String> RESERVED_KEYS = Set.of("Lattice", "Properties", "pbc", "energy", "stress");

    /** Per-atom columns the structure and results stand for (under ASE's names too), not kept as columns. */
    public static final Set<String> RESERVED_COLUMNS = Set.of("species", "symbols", "Z", "numbers", "pos",
            "positions", "momenta", "forces");

    /**
     * One per-atom column of an extended XYZ file: its name, its type (R real, I integer,
     * S string, L logical, as in Properties), the values per atom, and the values as written,
     * atom by atom ({@code count} per atom). Each value is a valid one of its type as ASE reads
     * it, so that a file written with the column reads back in ASE as it was.
     */
    public record Column(String name, char type, int count, String[] values) {
        public Column {
            if (!validName(name)) {
                throw new IllegalArgumentException("column name '" + name + "' must be non-empty, without spaces or "
                        + NOT_IN_NAMES);
            }
            if ("RISL".indexOf(type) < 0) {
                throw new IllegalArgumentException("column " + name + " has type '" + type + "', not R, I, S or L");
            }
            if (count < 1) {
                throw new IllegalArgumentException("column " + name + " needs at least one value per atom");
            }
            if (values == null || values.length % count != 0) {
                throw new IllegalArgumentException("column " + name + " needs " + count + " values per atom");
            }
            values = values.clone();
            for (String v : values) {
                if (!valid(type, v)) {
                    throw new IllegalArgumentException("column " + name + ":" + type + ": '" + v
                            + "' is not " + what(type));
                }
            }
        }

        /** The number of atoms it has values for. */
        public int atoms() {
            return values.length / count;
        }

        /** Value k of an atom, as written. */
        public String value(int atom, int k) {
            return values[atom * count + k];
        }

        /** Value k of an atom of an R column, read as ASE reads it (nan and inf included). */
        public double real(int atom, int k) {
            if (type != 'R') {
                throw new IllegalStateException("column " + this + " is not of reals");
            }
            return ExtXyzSyntax.parseReal(value(atom, k));
        }

        @Override
        public String[] values() {
            return values.clone();
        }

        /** Characters a column name cannot have: Properties is written unquoted, its entries split on ':'. */
        static final String NOT_IN_NAMES = ":\"'{}[]=\\";

        /** Whether the name can stand in Properties as it is. */
        public static boolean validName(String name) {
            if (name == null || name.isEmpty()) {
                return false;
            }
            for (int i = 0; i < name.length(); i++) {
                char ch = name.charAt(i);
                if (Character.isWhitespace(ch) || NOT_IN_NAMES.indexOf(ch) >= 0) {
                    return false;
                }
            }
            return true;
        }

        /** Whether ASE reads the text as a value of the type (and it fits on an atom line). */
        public static boolean valid(char type, String text) {
            if (text == null || text.isEmpty() || text.chars().anyMatch(Character::isWhitespace)) {
                return false;
            }
            switch (type) {
                case 'R':
                    try {
                        ExtXyzSyntax.parseReal(text);
                        return true;
                    } catch (NumberFormatException e) {
                        return false;
                    }
                case 'I':
                    // numpy's int32, which ASE reads I columns into
                    try {
                        Integer.parseInt(text);
                        return true;
                    } catch (NumberFormatException e) {
                        return false;
                    }
                case 'L':
                    return text.equals("T") || text.equals("F") || text.equals("True") || text.equals("False");
                case 'S':
                    return true;
                default:
                    return false;
            }
        }

        /** What a value of the type is, for messages. */
        public static String what(char type) {
            return switch (type) {
                case 'R' -> "a number";
                case 'I' -> "an integer";
                case 'L' -> "T, F, True or False";
                default -> "a word";
            };
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Column c && name.equals(c.name) && type == c.type && count == c.count
                    && java.util.Arrays.equals(values, c.values);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + java.util.Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return name + ":" + type + ":" + count;
        }
    }

    public Frame {
        if (structure == null) {
            throw new IllegalArgumentException("a frame needs a structure");
        }
        int n3 = 3 * structure.size();
        forces = checkedCopy("forces", forces, n3);
        momenta = checkedCopy("momenta", momenta, n3);
        stress = checkedCopy("stress", stress, 9);
        Map<String, String> copy = new LinkedHashMap<>();
        if (info != null) {
            for (Map.Entry<String, String> e : info.entrySet()) {
                String key = e.getKey();
                if (key == null || e.getValue() == null) {
                    throw new IllegalArgumentException("info keys and values must not be null");
                }
                if (RESERVED_KEYS.contains(key)) {
                    throw new IllegalArgumentException("info key '" + key + "' belongs to the frame itself");
                }
                if (key.isEmpty() || key.indexOf('=') >= 0 || hasLineBreak(key) || hasLineBreak(e.getValue())) {
                    throw new IllegalArgumentException("info key '" + key
                            + "' must be non-empty, without '=', and key and value on one line");
                }
                if (e.getValue().isEmpty()) {
                    // ASE reads key="" as swallowing the next key, so it cannot be written faithfully.
                    throw new IllegalArgumentException("info key '" + key + "' has an empty value");
                }
                copy.put(key, e.getValue());
            }
        }
        info = Collections.unmodifiableMap(copy);
        List<Column> kept = new ArrayList<>();
        if (columns != null) {
            Set<String> names = new HashSet<>();
            for (Column c : columns) {
                if (c == null) {
                    throw new IllegalArgumentException("columns must not be null");
                }
                if (RESERVED_COLUMNS.contains(c.name())) {
                    throw new IllegalArgumentException("column '" + c.name() + "' belongs to the frame itself");
                }
                if (!names.add(c.name())) {
                    throw new IllegalArgumentException("column '" + c.name() + "' appears twice");
                }
                if (c.atoms() != structure.size()) {
                    throw new IllegalArgumentException("column '" + c.name() + "' has values for " + c.atoms()
                            + " atoms, the structure has " + structure.size());
                }
                kept.add(c);
            }
        }
        columns = Collections.unmodifiableList(kept);
        if (momenta == null) {
            momentaAt = 0;
        } else if (momentaAt < 0 || momentaAt > columns.size()) {
            throw new IllegalArgumentException("momentaAt must be in 0.." + columns.size() + ", got " + momentaAt);
        }
    }

    /** A frame without other per-atom columns (the momenta, if any, right after the positions). */
    public Frame(Structure structure, Double energy, double[] forces, double[] stress, double[] momenta,
                 Map<String, String> info, int lineNumber) {
        this(structure, energy, forces, stress, momenta, info, lineNumber, List.of(), 0);
    }

    /** A frame of just a structure, made in memory. */
    public Frame(Structure structure) {
        this(structure, null, null, null, null, null, 0);
    }

    /** The same frame with other results; structure, momenta, info and the other columns stay. */
    public Frame withResults(Double newEnergy, double[] newForces, double[] newStress) {
        return new Frame(structure, newEnergy, newForces, newStress, momenta, info, lineNumber, columns, momentaAt);
    }

    /**
     * Where something in this frame lies in its file, for an error message: "frame 3 (line 41)",
     * the line of its atom count; or, given the atoms the error is about, their own lines,
     * "frame 3 (line 44)" or "frame 3 (lines 44 and 47)". Just "frame 3" for a frame not read from
     * a file.
     */
    public String location(int index, int... atoms) {
        String frame = "frame " + index;
        if (lineNumber <= 0) {
            return frame;
        }
        if (atoms.length == 0) {
            return frame + " (line " + lineNumber + ")";
        }
        StringBuilder lines = new StringBuilder(atoms.length == 1 ? " (line " : " (lines ");
        for (int k = 0; k < atoms.length; k++) {
            lines.append(k == 0 ? "" : k == atoms.length - 1 ? " and " : ", ")
                    .append((long) lineNumber + 2 + atoms[k]);
        }
        return frame + lines + ")";
    }

    /** The same frame with other info keys. */
    public Frame withInfo(Map<String, String> newInfo) {
        return new Frame(structure, energy, forces, stress, momenta, newInfo, lineNumber, columns, momentaAt);
    }

    @Override
    public double[] forces() {
        return forces == null ? null : forces.clone();
    }

    @Override
    public double[] stress() {
        return stress == null ? null : stress.clone();
    }

    @Override
    public double[] momenta() {
        return momenta == null ? null : momenta.clone();
    }

    public boolean hasForces() {
        return forces != null;
    }

    public boolean hasStress() {
        return stress != null;
    }

    public boolean hasMomenta() {
        return momenta != null;
    }

    @Override
    public String toString() {
        return "Frame[" + structure + (energy == null ? "" : ", energy=" + energy)
                + (lineNumber == 0 ? "" : ", line " + lineNumber) + "]";
    }

    private static double[] checkedCopy(String what, double[] a, int length) {
        if (a == null) {
            return null;
        }
        if (a.length != length) {
            throw new IllegalArgumentException(what + " must have " + length + " entries, got " + a.length);
        }
        return a.clone();
    }

    // Everything else can be quoted on the comment line; a line break cannot.
    private static boolean hasLineBreak(String s) {
        return s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;
    }
}
