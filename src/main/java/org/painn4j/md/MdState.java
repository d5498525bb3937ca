package org.painn4j.md;

import org.painn4j.structure.Structure;

/**
 * One replica at one step: what a trajectory frame shows and a checkpoint keeps. Momenta are in
 * ASE units (amu·Å per ASE time unit, {@link MdUnits}), forces in eV/Å, energies in eV.
 * Arrays are copied in and out.
 *
 * @param step      steps taken since the start of the run
 * @param structure atoms, positions (wrapped into the cell along periodic axes), cell, pbc
 * @param masses    amu, [N]
 * @param momenta   [N*3]
 * @param forces    [N*3] at these positions, or null before the first force call
 * @param energy    potential energy at these positions; NaN when forces is null
 * @param seed      the key of this replica's random numbers (Langevin noise)
 */
public record MdState(long step, Structure structure, double[] masses, double[] momenta,
                      double[] forces, double energy, long seed) {

    public MdState {
        int n = structure.size();
        if (masses.length != n || momenta.length != 3 * n || forces != null && forces.length != 3 * n) {
            throw new IllegalArgumentException("masses [N], momenta and forces [N*3] must match " + n + " atoms");
        }
        masses = masses.clone();
        momenta = momenta.clone();
        forces = forces == null ? null : forces.clone();
    }

    /** A starting state whose forces the engine will compute. */
    public static MdState start(Structure structure, double[] masses, double[] momenta, long seed) {
        return new MdState(0, structure, masses, momenta, null, Double.NaN, seed);
    }

    @Override
    public double[] masses() {
        return masses.clone();
    }

    @Override
    public double[] momenta() {
        return momenta.clone();
    }

    @Override
    public double[] forces() {
        return forces == null ? null : forces.clone();
    }

    public int size() {
        return structure.size();
    }

    /** Kinetic energy in eV. */
    public double kineticEnergy() {
        return MdUnits.kineticEnergy(momenta, masses);
    }

    /** Temperature in K with 3N degrees of freedom, as ASE reports it. */
    public double temperature() {
        return MdUnits.temperature(kineticEnergy(), size());
    }

    /** Potential plus kinetic energy in eV. */
    public double totalEnergy() {
        return energy + kineticEnergy();
    }
}
