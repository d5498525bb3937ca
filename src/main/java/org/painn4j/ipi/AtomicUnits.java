package org.painn4j.ipi;

/**
 * The i-PI protocol speaks atomic units: lengths in bohr, energies in hartree. The constants
 * are ASE's ({@code ase.units.Bohr}, {@code ase.units.Hartree}, CODATA 2014), so that a
 * position sent by ASE arrives here as the same number of Å to the last bit or two.
 */
public final class AtomicUnits {
    /** One bohr in Å. */
    public static final double BOHR = 0.5291772105638411;
    /** One hartree in eV. */
    public static final double HARTREE = 27.211386024367243;
    /** One hartree/bohr in eV/Å. */
    public static final double FORCE = HARTREE / BOHR;

    private AtomicUnits() {
    }
}
