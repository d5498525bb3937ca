package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.structure.Structure;

class LangevinTest {
    /**
     * 64 carbon atoms on springs with a 50 fs period, dt = 1 fs (ωdt = 0.126, so BAOAB's
     * O(ω²dt²) bias in the kinetic temperature is 0.4 %), γ = 0.05/fs. 20 ps of averaging covers
     * about 1000 velocity correlation times 1/γ: the standard error of the mean temperature is
     * about 0.5 %, well inside the 3 % asked for.
     */
    @Test
    void meanTemperatureMatchesTheBath() {
        int n = 64;
        double target = 300;
        int[] z = new int[n];
        double[] x = new double[3 * n];
        for (int i = 0; i < n; i++) {
            z[i] = 6;
            x[3 * i] = 3.0 * i;
        }
        double mass = 12.011;
        double omega = 2 * Math.PI / (50 * MdUnits.FS);
        double k = mass * omega * omega;
        double[] m = Masses.of(z);
        MdState s = MdState.start(Structure.molecule(z, x), m, MaxwellBoltzmann.momenta(m, target, 5), 5);
        CpuMdEngine md = new CpuMdEngine(new HarmonicCalculator(x, k), MdSettings.langevin(1.0, target, 0.05), List.of(s));
        md.advance(500);
        double kinetic = 0;
        double configurational = 0;
        int samples = 20000;
        for (int i = 0; i < samples; i++) {
            md.advance(1);
            MdState st = md.state(0);
            kinetic += st.temperature();
            // Equipartition of the potential: ⟨½k·d²⟩ = ½kB·T per component.
            configurational += 2 * st.energy() / (3 * n * MdUnits.KB);
        }
        kinetic /= samples;
        configurational /= samples;
        System.out.printf("Langevin springs: mean kinetic T %.2f K, configurational T %.2f K (bath %.0f K)%n",
                kinetic, configurational, target);
        assertEquals(target, kinetic, 0.03 * target);
        assertEquals(target, configurational, 0.03 * target);
    }

    /**
     * One BAOAB step of a carbon atom on a spring, written out by hand: γ = 0.1/fs and dt = 2 fs
     * make the damping exp(−0.2), and the noise amplitude √((1 − c₁²)·kB·T·m) with kB in eV/K
     * (ASE's k/e of CODATA 2014). The mean-temperature tests hold for any friction; this one fixes its
     * units.
     */
    @Test
    void oneStepByHand() {
        double k = 2.0;
        double[] x = {0.1, -0.2, 0.3};
        double[] p = {0.5, 0.0, -0.25};
        double m = 12.011;
        long seed = 11;
        double temperature = 350;
        CpuMdEngine md = new CpuMdEngine(new HarmonicCalculator(new double[3], k),
                MdSettings.langevin(2.0, temperature, 0.1),
                List.of(MdState.start(Structure.molecule(new int[] {6}, x), new double[] {m}, p, seed)));
        md.advance(1);

        double dt = 2 * MdUnits.FS;
        double c1 = Math.exp(-0.2);
        double c2 = Math.sqrt((1 - c1 * c1) * (1.38064852e-23 / 1.6021766208e-19) * temperature * m);
        double[] xi = new double[3];
        Philox.gaussian3(seed, Philox.STREAM_LANGEVIN, 1, 0, xi, 0);
        double[] wantX = new double[3];
        double[] wantP = new double[3];
        for (int i = 0; i < 3; i++) {
            double pi = p[i] + 0.5 * dt * (-k * x[i]);
            double xi1 = x[i] + 0.5 * dt * pi / m;
            pi = c1 * pi + c2 * xi[i];
            wantX[i] = xi1 + 0.5 * dt * pi / m;
            wantP[i] = pi + 0.5 * dt * (-k * wantX[i]);
        }
        double[] gotX = md.state(0).structure().positions();
        double[] gotP = md.state(0).momenta();
        for (int i = 0; i < 3; i++) {
            assertEquals(wantX[i], gotX[i], 1e-12 * Math.abs(wantX[i]), "x" + i);
            assertEquals(wantP[i], gotP[i], 1e-12 * Math.abs(wantP[i]), "p" + i);
        }
        assertTrue(Math.abs(xi[0]) + Math.abs(xi[1]) + Math.abs(xi[2]) > 0.1, "the step draws noise");
    }

    private static CpuMdEngine ethanol(long seed, double temperature) {
        Structure s = MdFixtures.ethanol();
        double[] m = Masses.of(s.numbers());
        return new CpuMdEngine(new CpuCalculator(MdFixtures.smallModel()), MdSettings.langevin(0.5, temperature, 0.05),
                List.of(MdState.start(s, m, MaxwellBoltzmann.momenta(m, temperature, seed), seed)));
    }

    /** A short run of the real model: stays finite, is repeatable from the seed, and the seed matters. */
    @Test
    void realModelRunIsReproducible() {
        CpuMdEngine a = ethanol(3, 300);
        CpuMdEngine b = ethanol(3, 300);
        CpuMdEngine c = ethanol(4, 300);
        a.advance(100);
        b.advance(100);
        c.advance(100);
        MdState sa = a.state(0);
        assertTrue(Double.isFinite(sa.totalEnergy()));
        assertArrayEquals(sa.structure().positions(), b.state(0).structure().positions(), 0);
        assertArrayEquals(sa.momenta(), b.state(0).momenta(), 0);
        assertFalse(Arrays.equals(sa.momenta(), c.state(0).momenta()));
        double t = sa.temperature();
        assertTrue(t > 30 && t < 3000, "temperature " + t);
    }

    /** With the friction off, BAOAB is velocity Verlet written as two half drifts. */
    @Test
    void zeroFrictionIsVelocityVerlet() {
        Structure s = MdFixtures.ethanol();
        double[] m = Masses.of(s.numbers());
        double[] p = MaxwellBoltzmann.momenta(m, 300, 9);
        CpuCalculator calc = new CpuCalculator(MdFixtures.smallModel());
        CpuMdEngine baoab = new CpuMdEngine(calc, MdSettings.langevin(0.5, 300, 0), List.of(MdState.start(s, m, p, 9)));
        CpuMdEngine verlet = new CpuMdEngine(calc, MdSettings.nve(0.5), List.of(MdState.start(s, m, p, 9)));
        baoab.advance(50);
        verlet.advance(50);
        assertArrayEquals(verlet.state(0).structure().positions(), baoab.state(0).structure().positions(), 1e-9);
        assertArrayEquals(verlet.state(0).momenta(), baoab.state(0).momenta(), 1e-9);
    }
}
