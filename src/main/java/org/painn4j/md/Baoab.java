package org.painn4j.md;

/**
 * Langevin dynamics by BAOAB (Leimkuhler and Matthews, J. Chem. Phys. 138, 174102 (2013)):
 *
 * <pre>
 *   B  p ← p + ½dt·F
 *   A  x ← x + ½dt·p/m
 *   O  p ← c₁·p + c₂·√m·ξ,   c₁ = exp(−γ dt),  c₂ = √((1 − c₁²)·kB·T),  ξ ~ N(0, 1) per component
 *   A  x ← x + ½dt·p/m
 *      F ← F(x)
 *   B  p ← p + ½dt·F
 * </pre>
 *
 * ξ comes from {@link Philox#gaussian3} with the replica's seed, stream
 * {@link Philox#STREAM_LANGEVIN}, the number of the step being taken and the atom index. The
 * centre-of-mass momentum is left free: every one of the 3N degrees of freedom is thermalised,
 * so ASE's 3N-degree temperature averages to T, and the O step needs no reduction over atoms.
 */
public final class Baoab implements Integrator {
    private final double half;
    private final double c1;
    private final double c2;
    private final double[] xi = new double[3];

    /**
     * @param dt           time step in ASE time units
     * @param gammaDt      γ·dt, dimensionless (friction in 1/fs times the step in fs)
     * @param temperatureK bath temperature
     */
    public Baoab(double dt, double gammaDt, double temperatureK) {
        this.half = 0.5 * dt;
        this.c1 = StrictMath.exp(-gammaDt);
        this.c2 = Math.sqrt((1 - c1 * c1) * MdUnits.KB * temperatureK);
    }

    @Override
    public void beforeForces(long step, long seed, double[] x, double[] p, double[] f, double[] m) {
        int n = m.length;
        for (int a = 0; a < n; a++) {
            double mass = m[a];
            double noise = c2 * Math.sqrt(mass);
            Philox.gaussian3(seed, Philox.STREAM_LANGEVIN, step, a, xi, 0);
            for (int k = 0; k < 3; k++) {
                int i = 3 * a + k;
                double pi = p[i] + half * f[i];
                double xa = x[i] + half * pi / mass;
                pi = c1 * pi + noise * xi[k];
                p[i] = pi;
                x[i] = xa + half * pi / mass;
            }
        }
    }

    @Override
    public void afterForces(double[] p, double[] f, double[] m) {
        for (int i = 0; i < p.length; i++) {
            p[i] = p[i] + half * f[i];
        }
    }
}
