package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.painn4j.InputException;
import org.painn4j.structure.Elements;

class UnitsAndSetupTest {
    @Test
    void unitsAreAses() {
        assertEquals(0.09822694788464063, MdUnits.FS);
        assertEquals(8.617330337217213e-05, MdUnits.KB);
    }

    @Test
    void maxwellBoltzmannHasNoDriftAndTheRightTemperatureOnAverage() {
        int n = 40;
        double[] m = new double[n];
        for (int i = 0; i < n; i++) {
            m[i] = Elements.mass(i % 2 == 0 ? 1 : 8);
        }
        double sum = 0;
        int seeds = 400;
        for (int s = 0; s < seeds; s++) {
            double[] p = MaxwellBoltzmann.momenta(m, 300, s);
            double[] total = new double[3];
            for (int i = 0; i < 3 * n; i++) {
                total[i % 3] += p[i];
            }
            assertArrayEquals(new double[3], total, 1e-12);
            sum += MdUnits.temperature(MdUnits.kineticEnergy(p, m), n);
        }
        // One draw's temperature has relative spread sqrt(2/(3N)) = 0.13; the mean of 400 draws 0.0065.
        assertEquals(300, sum / seeds, 300 * 0.03);
    }

    /**
     * ASE's Stationary(preserve_temperature=True) after its MaxwellBoltzmannDistribution: the raw
     * draw ξ·√(m·kB·T) with its centre-of-mass drift removed, rescaled to the draw's own kinetic
     * energy. The mean temperature above cannot see a missing rescale (about 1/N of T).
     */
    @Test
    void removingTheDriftKeepsTheKineticEnergyOfTheDraw() {
        int n = 40;
        double[] m = new double[n];
        for (int i = 0; i < n; i++) {
            m[i] = Elements.mass(i % 2 == 0 ? 1 : 8);
        }
        long seed = 7;
        double[] raw = new double[3 * n];
        double[] xi = new double[3];
        for (int a = 0; a < n; a++) {
            Philox.gaussian3(seed, Philox.STREAM_VELOCITIES, 0, a, xi, 0);
            for (int k = 0; k < 3; k++) {
                raw[3 * a + k] = xi[k] * Math.sqrt(m[a] * MdUnits.KB * 300);
            }
        }
        double[] p = MaxwellBoltzmann.momenta(m, 300, seed);
        double kRaw = MdUnits.kineticEnergy(raw, m);
        assertEquals(kRaw, MdUnits.kineticEnergy(p, m), 1e-12 * kRaw);
        double[] still = raw.clone();
        MaxwellBoltzmann.removeDrift(still, m);
        assertTrue(MdUnits.kineticEnergy(still, m) < kRaw, "the draw had a drift to remove");
        double factor = Math.sqrt(kRaw / MdUnits.kineticEnergy(still, m));
        for (int i = 0; i < 3 * n; i++) {
            assertEquals(factor * still[i], p[i], 1e-12 * Math.abs(p[i]) + 1e-15, "p" + i);
        }
    }

    @Test
    void oneAtomStartsAtRest() {
        assertArrayEquals(new double[3], MaxwellBoltzmann.momenta(new double[] {12.011}, 300, 3));
    }

    @Test
    void massesComeFromAsesTableAndMissingOnesAreRefused() {
        assertArrayEquals(new double[] {1.008, 15.999}, Masses.of(new int[] {1, 8}));
        InputException e = assertThrows(InputException.class, () -> Masses.of(new int[] {1, 0}));
        assertEquals("atom 1 (atomic number 0) has no mass; molecular dynamics needs a mass for every atom", e.getMessage());
        assertThrows(InputException.class, () -> Masses.of(new int[] {119}));
    }

    @Test
    void replicaFileNames() {
        assertEquals(Path.of("md.log"), ReplicaFiles.path(Path.of("md.log"), 0, 1));
        assertEquals(Path.of("md.r2.log"), ReplicaFiles.path(Path.of("md.log"), 2, 3));
        assertEquals(Path.of("out/run.a.r0.extxyz"), ReplicaFiles.path(Path.of("out/run.a.extxyz"), 0, 2));
        assertEquals(Path.of("traj.r1"), ReplicaFiles.path(Path.of("traj"), 1, 2));
        assertEquals(Path.of(".log.r1"), ReplicaFiles.path(Path.of(".log"), 1, 2));
    }

    @Test
    void settingsRefuseNonsense() {
        assertThrows(InputException.class, () -> MdSettings.nve(0));
        assertThrows(InputException.class, () -> MdSettings.nve(Double.NaN));
        assertThrows(InputException.class, () -> MdSettings.langevin(1, -1, 0.01));
        assertThrows(InputException.class, () -> MdSettings.langevin(1, 300, -0.01));
        assertTrue(MdSettings.nve(0.5).dt() > 0);
    }

    @Test
    void energyFitRecoversALine() {
        EnergyFit fit = new EnergyFit();
        for (int i = 0; i < 200; i++) {
            fit.add(0.01 * i, 2 + 0.3 * 0.01 * i + (i % 2 == 0 ? 1e-3 : -1e-3));
        }
        assertEquals(0.3, fit.slope(), 1e-3);
        assertEquals(1e-3, fit.fluctuation(), 1e-5);
    }
}
