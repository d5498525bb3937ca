package org.painn4j.gpu;

import java.util.Arrays;
import org.painn4j.InputException;
import org.painn4j.structure.Mat3;
import org.painn4j.structure.Structure;

/**
 * The host's part of the GPU neighbor search, computed once per cell: the lattice used for
 * edge vectors (cell rows of non-periodic axes zeroed, as the CPU list does), and a search
 * frame B whose rows are the cell rows along periodic axes and unit vectors orthogonal to them
 * along the others. Atoms are binned by t = pos·B⁻¹; h_a = 1/|B⁻¹ column a| is the spacing of
 * the lattice planes along axis a.
 */
record SearchFrame(double[] lattice, double[] inverse, double[] planes, int[] pbc) {

    static SearchFrame of(Structure s) {
        boolean[] periodic = s.pbc();
        double[] cell = s.hasCell() ? s.cell() : new double[9];
        double[] lattice = new double[9];
        double[] b = new double[9];
        int count = 0;
        for (int a = 0; a < 3; a++) {
            if (periodic[a]) {
                System.arraycopy(cell, 3 * a, lattice, 3 * a, 3);
                System.arraycopy(cell, 3 * a, b, 3 * a, 3);
                count++;
            }
        }
        if (count == 2) {
            int c = !periodic[0] ? 0 : !periodic[1] ? 1 : 2;
            int p = (c + 1) % 3;
            int q = (c + 2) % 3;
            set(b, c, unit(cross(row(b, p), row(b, q)), s));
        } else if (count == 1) {
            int p = periodic[0] ? 0 : periodic[1] ? 1 : 2;
            double[] u = unit(row(b, p), s);
            double[] w = Math.abs(u[0]) < 0.6 ? new double[] {1, 0, 0} : new double[] {0, 1, 0};
            double d = w[0] * u[0] + w[1] * u[1] + w[2] * u[2];
            double[] e1 = unit(new double[] {w[0] - d * u[0], w[1] - d * u[1], w[2] - d * u[2]}, s);
            set(b, (p + 1) % 3, e1);
            set(b, (p + 2) % 3, cross(u, e1));
        } else if (count == 0) {
            b = Mat3.identity();
        }
        double det = Mat3.det(b);
        if (!(Math.abs(det) > 1e-12 * Math.pow(norm(row(b, 0)) * norm(row(b, 1)) * norm(row(b, 2)), 1.0))) {
            throw new InputException("the periodic lattice vectors are zero or linearly dependent");
        }
        double[] inv = Mat3.inverse(b);
        double[] planes = new double[3];
        int[] pbc = new int[3];
        for (int a = 0; a < 3; a++) {
            planes[a] = 1.0 / Math.sqrt(inv[a] * inv[a] + inv[3 + a] * inv[3 + a] + inv[6 + a] * inv[6 + a]);
            pbc[a] = periodic[a] ? 1 : 0;
        }
        return new SearchFrame(lattice, inv, planes, pbc);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SearchFrame f && Arrays.equals(lattice, f.lattice) && Arrays.equals(inverse, f.inverse)
                && Arrays.equals(planes, f.planes) && Arrays.equals(pbc, f.pbc);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(lattice) * 31 + Arrays.hashCode(pbc);
    }

    private static double[] row(double[] m, int r) {
        return new double[] {m[3 * r], m[3 * r + 1], m[3 * r + 2]};
    }

    private static void set(double[] m, int r, double[] v) {
        System.arraycopy(v, 0, m, 3 * r, 3);
    }

    private static double[] cross(double[] a, double[] b) {
        return new double[] {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }

    private static double norm(double[] v) {
        return Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    }

    private static double[] unit(double[] v, Structure s) {
        double n = norm(v);
        if (!(n > 0)) {
            throw new InputException("the periodic lattice vectors are zero or linearly dependent");
        }
        return new double[] {v[0] / n, v[1] / n, v[2] / n};
    }
}
