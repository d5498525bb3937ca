package org.painn4j.md;

import org.painn4j.InputException;
import org.painn4j.structure.Elements;

/** Per-atom masses from ASE's table ({@link Elements#mass}), refused when an atom has none. */
public final class Masses {
    private Masses() {
    }

    /** Masses in amu, [N]; InputException naming the first atom without a usable mass. */
    public static double[] of(int[] numbers) {
        double[] m = new double[numbers.length];
        for (int i = 0; i < numbers.length; i++) {
            int z = numbers[i];
            double mass = z >= 1 && z <= Elements.MAX_Z ? Elements.mass(z) : Double.NaN;
            if (!(mass > 0) || Double.isInfinite(mass)) {
                throw new InputException("atom " + i + " (atomic number " + z + ") has no mass; "
                        + "molecular dynamics needs a mass for every atom");
            }
            m[i] = mass;
        }
        return m;
    }
}
