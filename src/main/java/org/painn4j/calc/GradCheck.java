package org.painn4j.calc;

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
     */
    public record Report(double forceError, int worstAtom, int worstAxis, double stressError,
                         double maxForce) {
    }

    /** Central difference −(E(x+h) − E(x−h)) / 2h for every coordinate. */
    public static double[] finiteDifferenceForces(Calculator reference, Structure s, double h) {
        double[] p = s.positions();
        double[] forces = new double[p.length];
        for (int c = 0; c < p.length; c++) {
            double[] plus = p.clone();
            double[] minus = p.clone();
            plus[c] += h;
            minus[c] -= h;
            forces[c] = -(reference.energy(s.withPositions(plus)) - reference.energy(s.withPositions(minus))) / (2 * h);
        }
        return forces;
    }

    /**
     * (1/V)·dE/dε by central differences of a symmetric strain: positions and cell go to
     * x·(I+ε); an off-diagonal pair ε_ab = ε_ba = t/2 so that dE/dt is the symmetric stress.
     */
    public static double[] finiteDifferenceStress(Calculator reference, Structure s, double h) {
        double vol = s.volume();
        double[] stress = new double[9];
        for (int a = 0; a < 3; a++) {
            for (int b = a; b < 3; b++) {
                double plus = reference.energy(strained(s, a, b, h));
                double minus = reference.energy(strained(s, a, b, -h));
                double v = (plus - minus) / (2 * h) / vol;
                stress[3 * a + b] = v;
                stress[3 * b + a] = v;
            }
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
        if (s.fullyPeriodic()) {
            double[] sfd = finiteDifferenceStress(reference, s, h);
            stressErr = 0;
            for (int i = 0; i < 9; i++) {
                double err = Math.abs(analytic.stress()[i] - sfd[i]);
                stressErr = Math.max(stressErr, Double.isNaN(err) ? Double.POSITIVE_INFINITY : err);
            }
        }
        return new Report(Math.max(worst, 0), atom, axis, stressErr, maxForce);
    }
}
