package org.painn4j.md;

/**
 * Velocity Verlet, written operation for operation as ASE's {@code VelocityVerlet.step}:
 * p += ½dt·F; x += dt·p/m; F = F(x); p += ½dt·F. Symplectic and time-reversible.
 */
public final class VelocityVerlet implements Integrator {
    private final double dt;
    private final double half;

    /** @param dt time step in ASE time units */
    public VelocityVerlet(double dt) {
        this.dt = dt;
        this.half = 0.5 * dt;
    }

    @Override
    public void beforeForces(long step, long seed, double[] x, double[] p, double[] f, double[] m) {
        for (int i = 0; i < x.length; i++) {
            p[i] = p[i] + half * f[i];
            x[i] = x[i] + dt * p[i] / m[i / 3];
        }
    }

    @Override
    public void afterForces(double[] p, double[] f, double[] m) {
        for (int i = 0; i < p.length; i++) {
            p[i] = p[i] + half * f[i];
        }
    }
}
