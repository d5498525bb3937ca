package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.painn4j.calc.Result;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Mat3;
import org.painn4j.structure.Structure;

class WrapTest {
    private static final double[] TRICLINIC = {6.0, 0, 0, 1.5, 5.5, 0, -0.8, 0.9, 6.5};

    @Test
    void onlyAtomsOutsideMoveAndByLatticeVectors() {
        double[] x = {1, 1, 1, 7.9, 1, 1, -0.5, 2, 3, 2, 2, 14};
        Wrap w = new Wrap(TRICLINIC, new boolean[] {true, true, false});
        double[] y = x.clone();
        w.apply(y);
        assertArrayEquals(new double[] {1, 1, 1}, new double[] {y[0], y[1], y[2]}, 0);
        assertArrayEquals(new double[] {1.9, 1, 1}, new double[] {y[3], y[4], y[5]}, 1e-12);
        assertArrayEquals(new double[] {5.5, 2, 3}, new double[] {y[6], y[7], y[8]}, 1e-12);
        // z is not periodic: the last atom stays outside along c.
        assertArrayEquals(new double[] {2, 2, 14}, new double[] {y[9], y[10], y[11]}, 0);
    }

    @Test
    void wrappingLeavesEnergyAndForcesAlone() {
        Structure box = ExtXyz.read(MdFixtures.example("water-box.extxyz")).get(0).structure();
        double[] cell = box.cell();
        double[] x = box.positions();
        // Push some atoms out by whole and partial lattice vectors.
        for (int a = 0; a < box.size(); a += 3) {
            for (int k = 0; k < 3; k++) {
                x[3 * a + k] += (a % 2 == 0 ? 1 : -2) * cell[3 * (a % 3) + k];
            }
        }
        Structure outside = box.withPositions(x);
        double[] wrapped = x.clone();
        new Wrap(cell, box.pbc()).apply(wrapped);
        assertNotEquals(x[0], wrapped[0]);
        CpuCalculator calc = new CpuCalculator(MdFixtures.smallModel());
        Result before = calc.compute(outside);
        Result after = calc.compute(box.withPositions(wrapped));
        assertEquals(before.energy(), after.energy(), 1e-10);
        assertArrayEquals(before.forces(), after.forces(), 1e-10);
        double[] inverse = Mat3.inverse(cell);
        for (int a = 0; a < box.size(); a++) {
            for (int k = 0; k < 3; k++) {
                double s = wrapped[3 * a] * inverse[k] + wrapped[3 * a + 1] * inverse[3 + k] + wrapped[3 * a + 2] * inverse[6 + k];
                assertTrue(s >= -1e-12 && s < 1 + 1e-12, "atom " + a + " fractional " + s);
            }
        }
    }

    @Test
    void periodicRunKeepsAtomsInTheCell() {
        Structure box = ExtXyz.read(MdFixtures.example("water-box.extxyz")).get(0).structure();
        double[] m = Masses.of(box.numbers());
        // Hot, so that atoms cross the faces within a few steps.
        CpuMdEngine md = new CpuMdEngine(new CpuCalculator(MdFixtures.smallModel()), MdSettings.nve(1.0),
                List.of(MdState.start(box, m, MaxwellBoltzmann.momenta(m, 20000, 2), 2)));
        double[] inverse = Mat3.inverse(box.cell());
        double[] before = fractional(box.positions(), inverse);
        int wrapped = 0;
        for (int step = 1; step <= 30; step++) {
            md.advance(1);
            double[] now = fractional(md.state(0).structure().positions(), inverse);
            for (int i = 0; i < now.length; i++) {
                assertTrue(now[i] >= -1e-12 && now[i] < 1 + 1e-12, "step " + step + ": atom " + i / 3 + " fractional " + now[i]);
                // no atom moves half a cell in a step: a jump that large is a wrap
                wrapped += Math.abs(now[i] - before[i]) > 0.5 ? 1 : 0;
            }
            before = now;
        }
        assertTrue(wrapped > 0, "some atom crossed a face");
    }

    private static double[] fractional(double[] x, double[] inverse) {
        double[] s = new double[x.length];
        for (int a = 0; a < x.length / 3; a++) {
            for (int k = 0; k < 3; k++) {
                s[3 * a + k] = x[3 * a] * inverse[k] + x[3 * a + 1] * inverse[3 + k] + x[3 * a + 2] * inverse[6 + k];
            }
        }
        return s;
    }
}
