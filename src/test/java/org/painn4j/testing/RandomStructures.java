package org.painn4j.testing;

import java.util.Random;
import org.painn4j.structure.Structure;

/** Random structures with no two atoms closer than a minimum distance. */
public final class RandomStructures {
    private static final int[] ORGANIC = {1, 6, 7, 8};

    private RandomStructures() {
    }

    /** A cluster of n atoms (H, C, N, O) in a cube sized for the given density (atoms/Å³). */
    public static Structure cluster(int n, double density, long seed) {
        double side = Math.cbrt(n / density);
        return new Structure(species(n, seed), points(n, side, seed, null), null, new boolean[3]);
    }

    /** n atoms in a periodic box with the given (row) cell and pbc. */
    public static Structure periodic(int n, double[] cell, boolean[] pbc, long seed) {
        double[] pos = points(n, 1.0, seed, cell);
        return new Structure(species(n, seed), pos, cell, pbc);
    }

    static int[] species(int n, long seed) {
        Random rnd = new Random(seed ^ 0x5DEECE66DL);
        int[] z = new int[n];
        for (int i = 0; i < n; i++) {
            z[i] = ORGANIC[rnd.nextInt(ORGANIC.length)];
        }
        return z;
    }

    /** Rejection sampling with a minimum distance of 0.9 Å (periodic images ignored). */
    static double[] points(int n, double side, long seed, double[] cell) {
        Random rnd = new Random(seed);
        double[] p = new double[3 * n];
        double minD2 = 0.9 * 0.9;
        for (int i = 0; i < n; i++) {
            for (int tries = 0; ; tries++) {
                double[] q = new double[3];
                if (cell == null) {
                    for (int a = 0; a < 3; a++) {
                        q[a] = rnd.nextDouble() * side;
                    }
                } else {
                    double fa = rnd.nextDouble();
                    double fb = rnd.nextDouble();
                    double fc = rnd.nextDouble();
                    for (int a = 0; a < 3; a++) {
                        q[a] = fa * cell[a] + fb * cell[3 + a] + fc * cell[6 + a];
                    }
                }
                boolean ok = true;
                for (int j = 0; j < i && ok; j++) {
                    double dx = q[0] - p[3 * j];
                    double dy = q[1] - p[3 * j + 1];
                    double dz = q[2] - p[3 * j + 2];
                    ok = dx * dx + dy * dy + dz * dz > minD2;
                }
                if (ok || tries > 1000) {
                    System.arraycopy(q, 0, p, 3 * i, 3);
                    break;
                }
            }
        }
        return p;
    }
}
