package org.painn4j.md;

import org.painn4j.InputException;

/**
 * What decides the trajectory besides the starting state: time step, thermostat, bath temperature
 * and friction. Any engine, CPU or GPU, must integrate the same equations from these.
 *
 * @param dtFs          time step in fs
 * @param thermostat    none (NVE) or Langevin (BAOAB)
 * @param temperatureK  bath temperature in K (Langevin only)
 * @param frictionPerFs Langevin friction γ in 1/fs
 */
public record MdSettings(double dtFs, Thermostat thermostat, double temperatureK, double frictionPerFs) {

    public MdSettings {
        if (!(dtFs > 0) || Double.isInfinite(dtFs)) {
            throw new InputException("--dt must be a positive number of fs, got " + dtFs);
        }
        if (thermostat == null) {
            throw new InputException("a thermostat is required (none or langevin)");
        }
        if (!(temperatureK >= 0) || Double.isInfinite(temperatureK)) {
            throw new InputException("--temperature must be a non-negative number of K, got " + temperatureK);
        }
        if (!(frictionPerFs >= 0) || Double.isInfinite(frictionPerFs)) {
            throw new InputException("--friction must be a non-negative number per fs, got " + frictionPerFs);
        }
    }

    /** Constant-energy dynamics with time step dtFs. */
    public static MdSettings nve(double dtFs) {
        return new MdSettings(dtFs, Thermostat.NONE, 0, 0);
    }

    /** Langevin dynamics at temperatureK with friction γ (1/fs). */
    public static MdSettings langevin(double dtFs, double temperatureK, double frictionPerFs) {
        return new MdSettings(dtFs, Thermostat.LANGEVIN, temperatureK, frictionPerFs);
    }

    /** The time step in ASE time units. */
    public double dt() {
        return dtFs * MdUnits.FS;
    }
}
