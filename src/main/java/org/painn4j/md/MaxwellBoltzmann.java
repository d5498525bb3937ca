package org.painn4j.md;

/**
 * Initial momenta as ASE's {@code MaxwellBoltzmannDistribution} followed by
 * {@code Stationary(preserve_temperature=True)}: p = ξ·√(m·kB·T), then the centre-of-mass
 * velocity is removed and the momenta are rescaled to the temperature they had before.
 * ξ comes from {@link Philox#gaussian3} with stream {@link Philox#STREAM_VELOCITIES} and step 0,
 * so the draw is a function of the seed alone.
 */
public final class MaxwellBoltzmann {
    private MaxwellBoltzmann() {
    }

    /** Momenta [N*3] in ASE units with zero total momentum. */
    public static double[] momenta(double[] masses, double temperatureK, long seed) {
        int n = masses.length;
        double[] p = new double[3 * n];
        double kt = MdUnits.KB * temperatureK;
        double[] xi = new double[3];
        for (int a = 0; a < n; a++) {
            Philox.gaussian3(seed, Philox.STREAM_VELOCITIES, 0, a, xi, 0);
            double scale = Math.sqrt(masses[a] * kt);
            for (int k = 0; k < 3; k++) {
                p[3 * a + k] = xi[k] * scale;
            }
        }
        double before = MdUnits.kineticEnergy(p, masses);
        removeDrift(p, masses);
        double after = MdUnits.kineticEnergy(p, masses);
        // A single atom has nothing left after the drift is removed; it stays at rest.
        if (after > 0) {
            double factor = Math.sqrt(before / after);
            for (int i = 0; i < p.length; i++) {
                p[i] *= factor;
            }
        }
        return p;
    }

    /** Subtracts the centre-of-mass velocity: p_i −= m_i·P/M. */
    public static void removeDrift(double[] p, double[] masses) {
        double[] total = new double[3];
        double mass = 0;
        for (int a = 0; a < masses.length; a++) {
            mass += masses[a];
            for (int k = 0; k < 3; k++) {
                total[k] += p[3 * a + k];
            }
        }
        for (int a = 0; a < masses.length; a++) {
            for (int k = 0; k < 3; k++) {
                p[3 * a + k] -= masses[a] * (total[k] / mass);
            }
        }
    }
}
