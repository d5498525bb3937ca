package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.structure.Structure;

/** NVE with the small smooth model on ethanol; docs/md.md explains the bounds. */
class VelocityVerletTest {
    private static final CpuCalculator CALC = new CpuCalculator(MdFixtures.smallModel());

    private static CpuMdEngine start(double dtFs) {
        Structure s = MdFixtures.ethanol();
        double[] m = Masses.of(s.numbers());
        return new CpuMdEngine(CALC, MdSettings.nve(dtFs), List.of(MdState.start(s, m, MaxwellBoltzmann.momenta(m, 300, 1), 1)));
    }

    /** Total energy at every step of a run of the given length. */
    private static EnergyFit run(double dtFs, int steps) {
        CpuMdEngine md = start(dtFs);
        EnergyFit fit = new EnergyFit();
        for (int i = 0; i <= steps; i++) {
            if (i > 0) {
                md.advance(1);
            }
            MdState s = md.state(0);
            fit.add(s.step() * dtFs * 1e-3, s.totalEnergy());
        }
        return fit;
    }

    @Test
    void energyIsConserved() {
        int atoms = MdFixtures.ethanol().size();
        EnergyFit fine = run(0.5, 1000);
        double drift = fine.slope() * 1000 / atoms;
        double fluctuation = fine.fluctuation() * 1000 / atoms;
        double excursion = fine.maxDeviation() * 1000 / atoms;
        System.out.printf("NVE ethanol, small model, dt 0.5 fs, 1000 steps: drift %.4f meV/atom/ps, "
                + "fluctuation %.4f meV/atom, largest excursion %.4f meV/atom%n", drift, fluctuation, excursion);
        assertTrue(Math.abs(drift) < 0.1, "drift " + drift + " meV/atom/ps");
        assertTrue(fluctuation < 0.02, "fluctuation " + fluctuation + " meV/atom");
        assertTrue(excursion < 0.1, "excursion " + excursion + " meV/atom");

        // A second-order integrator: twice the step, four times the energy fluctuation.
        EnergyFit coarse = run(1.0, 500);
        double ratio = coarse.fluctuation() / fine.fluctuation();
        System.out.printf("fluctuation ratio dt 1.0 / dt 0.5 fs: %.2f (4 for a second-order method)%n", ratio);
        assertTrue(ratio > 3 && ratio < 5, "fluctuation ratio " + ratio);
    }

    @Test
    void reversingTheMomentaRetracesThePath() {
        CpuMdEngine forward = start(0.5);
        MdState s0 = forward.state(0);
        forward.advance(200);
        MdState s1 = forward.state(0);
        double[] back = s1.momenta();
        for (int i = 0; i < back.length; i++) {
            back[i] = -back[i];
        }
        CpuMdEngine backward = new CpuMdEngine(CALC, MdSettings.nve(0.5),
                List.of(new MdState(0, s1.structure(), s1.masses(), back, s1.forces(), s1.energy(), 1)));
        backward.advance(200);
        MdState s2 = backward.state(0);
        // Rounding alone separates the paths: 400 steps of 1e-16 relative errors.
        assertArrayEquals(s0.structure().positions(), s2.structure().positions(), 1e-10);
        double[] p0 = s0.momenta();
        double[] p2 = s2.momenta();
        for (int i = 0; i < p0.length; i++) {
            assertEquals(-p0[i], p2[i], 1e-10, "momentum " + i);
        }
        double moved = 0;
        double[] x0 = s0.structure().positions();
        double[] x1 = s1.structure().positions();
        for (int i = 0; i < x0.length; i++) {
            moved = Math.max(moved, Math.abs(x1[i] - x0[i]));
        }
        assertTrue(moved > 0.05, "the atoms should have gone somewhere; moved " + moved);
    }

    /** The same arithmetic as ASE's VelocityVerlet.step on a spring, checked by hand. */
    @Test
    void oneStepByHand() {
        double k = 2.0;
        double[] x = {0.1, -0.2, 0.3};
        double[] p = {0.5, 0.0, -0.25};
        double m = 12.011;
        HarmonicCalculator spring = new HarmonicCalculator(new double[3], k);
        CpuMdEngine md = new CpuMdEngine(spring, MdSettings.nve(1.0),
                List.of(MdState.start(Structure.molecule(new int[] {6}, x), new double[] {m}, p, 0)));
        md.advance(1);
        double dt = MdUnits.FS;
        double[] want = new double[3];
        double[] wantP = new double[3];
        for (int i = 0; i < 3; i++) {
            double pi = p[i] + 0.5 * dt * (-k * x[i]);
            want[i] = x[i] + dt * pi / m;
            wantP[i] = pi + 0.5 * dt * (-k * want[i]);
        }
        assertArrayEquals(want, md.state(0).structure().positions(), 0);
        assertArrayEquals(wantP, md.state(0).momenta(), 0);
    }
}
