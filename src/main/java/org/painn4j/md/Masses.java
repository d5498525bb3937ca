package org.painn4j.md;

import org.painn4j.InputException;
import org.painn4j.structure.Elements;
import org.painn4j.structure.Frame;

/**
 * Per-atom masses: from ASE's table ({@link Elements#mass}), refused when an atom has none, or
 * from the masses column of an input frame.
 */
public final class Masses {
    /** The per-atom column ASE writes for masses that were set, and reads back as the masses. */
    public static final String COLUMN = "masses";

    private Masses() {
    }

    /** Masses in amu, [N]; InputException naming the first atom without a usable mass. */
    public static double[] of(int[] numbers) {
        double[] m = new double[numbers.length];
        for (int i = 0; i < numbers.length; i++) {
            int z = numbers[i];
            double mass = z >= 1 && z <= Elements.MAX_Z ? Elements.mass(z) : Double.NaN;
            if (!(mass > 0) || Double.isInfinite(mass)) {
                throw InputException.atAtoms("atom " + i + " (atomic number " + z + ") has no mass; "
                        + "molecular dynamics needs a mass for every atom", i);
            }
            m[i] = mass;
        }
        return m;
    }

    /**
     * The masses of a frame's {@code masses:R:1} column, in amu, [N]; InputException (one line,
     * without the file and frame, which the caller knows) when the frame has no such column or
     * an atom's mass is not a positive finite number.
     */
    public static double[] fromInput(Frame frame) {
        Frame.Column c = column(frame);
        if (c == null) {
            throw new InputException("--masses input: the frame has no masses column");
        }
        if (c.type() != 'R' || c.count() != 1) {
            throw new InputException("--masses input: the frame's masses column is " + c + ", not masses:R:1");
        }
        double[] m = new double[c.atoms()];
        for (int i = 0; i < m.length; i++) {
            m[i] = c.real(i, 0);
            if (!(m[i] > 0) || Double.isInfinite(m[i])) {
                throw new InputException("--masses input: atom " + i + " has mass " + m[i]
                        + "; masses must be positive and finite");
            }
        }
        return m;
    }

    /** The frame's masses column, of whatever type, or null. */
    public static Frame.Column column(Frame frame) {
        for (Frame.Column c : frame.columns()) {
            if (c.name().equals(COLUMN)) {
                return c;
            }
        }
        return null;
    }

    /**
     * Masses as the trajectory's masses column: each written so that it reads back to the same
     * double (Java's shortest text; masses are finite, so no nan or inf).
     */
    static Frame.Column toColumn(double[] masses) {
        String[] text = new String[masses.length];
        for (int i = 0; i < masses.length; i++) {
            text[i] = Double.toString(masses[i]).replace('E', 'e');
        }
        return new Frame.Column(COLUMN, 'R', 1, text);
    }
}
