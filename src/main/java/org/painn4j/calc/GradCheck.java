package org.painn4j.calc;

import java.util.ArrayList;
import java.util.List;
import org.painn4j.structure.Structure;

/**
 * Analytical forces and stress against central differences of a reference energy (the
 * float64 CPU engine): the gradient validation that the command line's {@code gradcheck} runs
 * and the gradcheck suite asserts.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /**
     * The worst deviations in one structure.
     *
     * @param forceError  max over atoms and axes of |F_analytic − F_fd| (eV/Å)
     * @param worstAtom   the atom where it occurs
     * @param worstAxis   and the axis (0..2)
     * @param stressError max |σ_analytic − σ_fd| (eV/Å³), NaN when the structure is not fully periodic
     * @param virialError max |W_analytic − W_fd| of the virial ∂E/∂ε (eV), NaN when no axis is periodic
     */
    public record Report(double forceError, int worstAtom, int worstAxis, double stressError,
                         double virialError, double maxForce) {
    }

    /**
     * Central difference −(E(x+h) − E(x−h)) / 2h for every coordinate. The displaced energies go
     * to the reference a block of coordinates at a time, which it may evaluate side by side.
     */
    public static double[] finiteDifferenceForces(Calculator reference, Structure s, double h) {
        double[] p = s.positions();
        double[] forces = new double[p.length];
        for (int c0 = 0; c0 < p.length; c0 += COORDINATES_PER_CALL) {
            int c1 = Math.min(p.length, c0 + COORDINATES_PER_CALL);
            List<Structure> displaced = new ArrayList<>(2 * (c1 - c0));
            for (int c = c0; c < c1; c++) {
                double[] plus = p.clone();
                double[] minus = p.clone();
                plus[c] += h;
                minus[c] -= h;
                displaced.add(s.withPositions(plus));
                displaced.add(s.withPositions(minus));
            }
            double[] e = reference.energies(displaced);
            for (int c = c0; c < c1; c++) {
                forces[c] = -(e[2 * (c - c0)] - e[2 * (c - c0) + 1]) / (2 * h);
            }
        }
        return forces;
    }

    /** Coordinates displaced per call of {@link Calculator#energies}: enough for every core. */
    private static final int COORDINATES_PER_CALL = 48;

    /**
     * dE/dε by central differences of a symmetric strain: positions and cell go to x·(I+ε); an
     * off-diagonal pair ε_ab = ε_ba = t/2 so that dE/dt is the symmetric virial. Defined for any
     * structure with a cell, the rows of open axes strained along (they do not matter).
     */
    public static double[] finiteDifferenceVirial(Calculator reference, Structure s, double h) {
        List<Structure> strained = new ArrayList<>(12);
        for (int a = 0; a < 3; a++) {
            for (int b = a; b < 3; b++) {
                strained.add(strained(s, a, b, h));
                strained.add(strained(s, a, b, -h));
            }
        }
        double[] e = reference.energies(strained);
        double[] virial = new double[9];
        int at = 0;
        for (int a = 0; a < 3; a++) {
            for (int b = a; b < 3; b++) {
                double v = (e[at] - e[at + 1]) / (2 * h);
                at += 2;
                virial[3 * a + b] = v;
                virial[3 * b + a] = v;
            }
        }
        return virial;
    }

    /** (1/V)·dE/dε by central differences (finiteDifferenceVirial), for a fully periodic structure. */
    public static double[] finiteDifferenceStress(Calculator reference, Structure s, double h) {
        double vol = s.volume();
        double[] stress = finiteDifferenceVirial(reference, s, h);
        for (int i = 0; i < 9; i++) {
            stress[i] /= vol;
        }
        return stress;
    }

    static Structure strained(Structure s, int a, int b, double t) {
        double[] m = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        if (a == b) {
            m[4 * a] += t;
        } else {
            m[3 * a + b] += t / 2;
            m[3 * b + a] += t / 2;
        }
        return s.withPositionsAndCell(rowsTimes(s.positions(), m), rowsTimes(s.cell(), m));
    }

    private static double[] rowsTimes(double[] rows, double[] m) {
        double[] out = new double[rows.length];
        for (int r = 0; r < rows.length / 3; r++) {
            for (int j = 0; j < 3; j++) {
                out[3 * r + j] = rows[3 * r] * m[j] + rows[3 * r + 1] * m[3 + j] + rows[3 * r + 2] * m[6 + j];
            }
        }
        return out;
    }

    /** Compares an analytical result with central differences of the reference's energy. */
    public static Report compare(Result analytic, Calculator reference, Structure s, double h) {
        double[] fd = finiteDifferenceForces(reference, s, h);
        double worst = -1;
        double maxForce = 0;
        int atom = 0;
        int axis = 0;
        for (int c = 0; c < fd.length; c++) {
            double err = Math.abs(analytic.forces()[c] - fd[c]);
            maxForce = Math.max(maxForce, Math.abs(fd[c]));
            if (err > worst || Double.isNaN(err)) {
                worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                atom = c / 3;
                axis = c % 3;
            }
        }
        double stressErr = Double.NaN;
        double virialErr = Double.NaN;
        if (s.anyPeriodic()) {
            double[] wfd = finiteDifferenceVirial(reference, s, h);
            virialErr = worstDifference(analytic.virial(), wfd, 1);
            if (s.fullyPeriodic()) {
                stressErr = worstDifference(analytic.stress(), wfd, 1 / s.volume());
            }
        }
        return new Report(Math.max(worst, 0), atom, axis, stressErr, virialErr, maxForce);
    }

    /** max |a − scale·b|; infinite where a is missing or a difference is NaN. */
    private static double worstDifference(double[] a, double[] b, double scale) {
        if (a == null) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int i = 0; i < 9; i++) {
            double err = Math.abs(a[i] - scale * b[i]);
            worst = Math.max(worst, Double.isNaN(err) ? Double.POSITIVE_INFINITY : err);
        }
        return worst;
    }
}
