package org.painn4j.md;

import org.painn4j.structure.Mat3;

/**
 * Moves atoms that have left the cell back in along its periodic axes, after every step and
 * before the force call. Only an atom whose fractional coordinate has left [0, 1) is moved, by a
 * whole lattice vector, so atoms inside the cell keep their positions bit for bit and the energy
 * and forces, which depend on positions only modulo lattice vectors, are unchanged up to rounding.
 */
public final class Wrap {
    private final double[] cell;
    private final double[] inverse;
    private final boolean[] pbc;

    /** A wrapper for a cell (rows = lattice vectors) and its periodic axes; null cell = no-op. */
    public Wrap(double[] cell, boolean[] pbc) {
        boolean any = cell != null && (pbc[0] || pbc[1] || pbc[2]);
        this.cell = any ? cell.clone() : null;
        this.inverse = any ? invert(cell) : null;
        this.pbc = pbc.clone();
    }

    private static double[] invert(double[] cell) {
        try {
            return Mat3.inverse(cell);
        } catch (IllegalArgumentException e) {
            throw new org.painn4j.InputException("the cell is singular; positions cannot be wrapped into it");
        }
    }

    /** Wraps x [N*3] in place. */
    public void apply(double[] x) {
        if (cell == null) {
            return;
        }
        for (int a = 0; a < x.length / 3; a++) {
            double px = x[3 * a];
            double py = x[3 * a + 1];
            double pz = x[3 * a + 2];
            for (int k = 0; k < 3; k++) {
                if (!pbc[k]) {
                    continue;
                }
                // x = s·cell, so s = x·cell⁻¹; column k of the inverse gives s_k.
                double s = px * inverse[k] + py * inverse[3 + k] + pz * inverse[6 + k];
                double shift = Math.floor(s);
                if (shift != 0) {
                    x[3 * a] -= shift * cell[3 * k];
                    x[3 * a + 1] -= shift * cell[3 * k + 1];
                    x[3 * a + 2] -= shift * cell[3 * k + 2];
                }
            }
        }
    }
}
