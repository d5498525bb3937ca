package org.painn4j.gradcheck;

import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomStructures;

/** The structures the gradcheck suite runs on: every kind of boundary the engines must handle. */
final class TestStructures {
    private TestStructures() {
    }

    static Structure ethanol() {
        return Structure.molecule(new int[] {6, 6, 8, 1, 1, 1, 1, 1, 1}, new double[] {
            -1.168, -0.223, 0.000,
            0.196, 0.443, 0.000,
            1.199, -0.565, 0.000,
            -1.968, 0.519, 0.000,
            -1.268, -0.860, 0.880,
            -1.268, -0.860, -0.880,
            0.310, 1.080, 0.880,
            0.310, 1.080, -0.880,
            2.050, -0.110, 0.030});
    }

    static Structure water() {
        return Structure.molecule(new int[] {8, 1, 1}, new double[] {
            0.0, 0.0, 0.1173, 0.0, 0.7572, -0.4692, 0.0, -0.7572, -0.4692});
    }

    /** A random organic cluster at the density of organic matter. */
    static Structure cluster(int n, long seed) {
        return RandomStructures.cluster(n, 0.08, seed);
    }

    /** A cubic periodic cell with side 4.5 Å, smaller than 2·rc for rc = 5. */
    static Structure smallCube() {
        double a = 4.5;
        return RandomStructures.periodic(8, new double[] {a, 0, 0, 0, a, 0, 0, 0, a},
                new boolean[] {true, true, true}, 31);
    }

    /** A cell smaller than the cutoff: every atom sees its own images. */
    static Structure tinyCube() {
        double a = 3.0;
        return new Structure(new int[] {6, 8}, new double[] {0.1, 0.2, 0.3, 1.4, 1.6, 1.2},
                new double[] {a, 0, 0, 0, a, 0, 0, 0, a}, new boolean[] {true, true, true});
    }

    static Structure triclinic() {
        return RandomStructures.periodic(10, new double[] {5.3, 0, 0, 1.7, 4.8, 0, 0.9, 1.1, 5.4},
                new boolean[] {true, true, true}, 32);
    }

    /** Periodic in x and y only, with vacuum along z. */
    static Structure slab() {
        return RandomStructures.periodic(9, new double[] {4.6, 0, 0, 0.8, 4.9, 0, 0, 0, 12.0},
                new boolean[] {true, true, false}, 33);
    }
}
