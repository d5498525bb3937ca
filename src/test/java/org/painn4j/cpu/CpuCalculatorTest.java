package org.painn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.painn4j.calc.Result;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomModels;
import org.painn4j.testing.RandomStructures;

class CpuCalculatorTest {

    @Test
    void forcesMatchCentralDifferencesOnAMolecule() {
        PainnModel model = RandomModels.modelWithShifts(8, 2, 6, 4.0, "gaussian", 7);
        CpuCalculator calc = new CpuCalculator(model);
        Structure s = RandomStructures.cluster(12, 0.08, 3);
        Result r = calc.compute(s);
        double worst = 0;
        double h = 1e-5;
        double[] p = s.positions();
        for (int c = 0; c < p.length; c++) {
            double[] plus = p.clone();
            double[] minus = p.clone();
            plus[c] += h;
            minus[c] -= h;
            double fd = -(calc.energy(s.withPositions(plus)) - calc.energy(s.withPositions(minus))) / (2 * h);
            worst = Math.max(worst, Math.abs(fd - r.forces()[c]));
        }
        assertTrue(worst < 1e-7, "worst force deviation " + worst);
        assertNull(r.stress());
        double sum = 0;
        for (double e : r.energies()) {
            sum += e;
        }
        assertEquals(r.energy(), sum, 1e-12);
    }
}
