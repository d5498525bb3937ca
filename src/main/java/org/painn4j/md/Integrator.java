package org.painn4j.md;

/**
 * One time step split around its single force call, so that an engine can evaluate the forces of
 * many replicas in one batch between the two halves. Arrays are flat [N*3] (masses [N]) and
 * updated in place; units are ASE's ({@link MdUnits}).
 */
public interface Integrator {

    /**
     * Everything of the step that comes before the force call; afterwards the positions are those
     * of the new step. {@code step} is the number of the step being taken (1 for the first), the
     * counter of its random numbers; {@code seed} is the replica's key.
     */
    void beforeForces(long step, long seed, double[] x, double[] p, double[] f, double[] m);

    /** The rest of the step, given the forces at the new positions. */
    void afterForces(double[] p, double[] f, double[] m);

    /** The integrator of a thermostat: velocity Verlet without, BAOAB with Langevin. */
    static Integrator of(MdSettings settings) {
        return switch (settings.thermostat()) {
            case NONE -> new VelocityVerlet(settings.dt());
            case LANGEVIN -> new Baoab(settings.dt(), settings.dtFs() * settings.frictionPerFs(),
                    settings.temperatureK());
        };
    }
}
