package org.painn4j.md;

/**
 * ASE's units (CODATA 2014, {@code ase.units} of ASE 3.22), computed the way ASE computes them so
 * that every derived number agrees with ASE to the last bit.
 *
 * <p>Internally the integrators work in ASE's own units: Å, eV, amu and the ASE time unit
 * Å·sqrt(amu/eV), of which one femtosecond is {@link #FS} (about 0.0982). Momenta are then in
 * amu·Å per ASE time unit, which is what {@code Atoms.get_momenta()} holds, and p²/2m is in eV.
 */
public final class MdUnits {
    private static final double E = 1.6021766208e-19;
    private static final double AMU = 1.660539040e-27;
    private static final double K = 1.38064852e-23;

    /** One second in ASE time units: {@code 1e10 * sqrt(_e / _amu)}. */
    public static final double SECOND = 1e10 * Math.sqrt(E / AMU);
    /** One femtosecond in ASE time units: {@code 1e-15 * second} = 0.09822694788464063. */
    public static final double FS = 1e-15 * SECOND;
    /** Boltzmann's constant in eV/K: {@code _k / _e} = 8.617330337217213e-05. */
    public static final double KB = K / E;

    private MdUnits() {
    }

    /**
     * Σ p²/2m in eV, ASE's {@code 0.5 * vdot(p, p / m)}. The sum runs in atom order; numpy's may
     * not, so the last bit can differ from ASE's, far below what the log prints.
     */
    public static double kineticEnergy(double[] momenta, double[] masses) {
        double s = 0;
        for (int i = 0; i < momenta.length; i++) {
            s += momenta[i] * (momenta[i] / masses[i / 3]);
        }
        return 0.5 * s;
    }

    /**
     * The temperature as ASE's {@code Atoms.get_temperature()} reports it without constraints:
     * 3N degrees of freedom, T = 2 Ekin / (3N kB). Centre-of-mass motion is not subtracted.
     */
    public static double temperature(double kineticEnergy, int atoms) {
        return 2 * kineticEnergy / (3 * atoms * KB);
    }

    /** Simulated nanoseconds per day at the given rate. */
    public static double nsPerDay(double stepsPerSecond, double dtFs) {
        return stepsPerSecond * dtFs * 86400 * 1e-6;
    }
}
