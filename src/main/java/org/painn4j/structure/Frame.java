package org.painn4j.structure;

import java.util.Collections;
import java.util.LinkedHashMap;
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
 */
public record Frame(Structure structure, Double energy, double[] forces, double[] stress,
                    double[] momenta, Map<String, String> info, int lineNumber) {

    /** Keys the extended XYZ comment line gives to the structure and results, not to info. */
    public static final Set<String> RESERVED_KEYS = Set.of("Lattice", "Properties", "pbc", "energy", "stress");

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
    }

    /** A frame of just a structure, made in memory. */
    public Frame(Structure structure) {
        this(structure, null, null, null, null, null, 0);
    }

    /** The same frame with other results; structure, momenta and info stay. */
    public Frame withResults(Double newEnergy, double[] newForces, double[] newStress) {
        return new Frame(structure, newEnergy, newForces, newStress, momenta, info, lineNumber);
    }

    /** The same frame with other info keys. */
    public Frame withInfo(Map<String, String> newInfo) {
        return new Frame(structure, energy, forces, stress, momenta, newInfo, lineNumber);
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
