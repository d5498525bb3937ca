package org.painn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.painn4j.model.PainnModel;
import org.painn4j.testing.RandomModels;

class ReadoutTest {

    @Test
    void backwardMatchesCentralDifferences() {
        int f = 8;
        int n = 5;
        PainnModel model = RandomModels.modelWithShifts(f, 1, 5, 4.0, "gaussian", 4);
        int[] z = {1, 6, 7, 8, 16};
        Random rnd = new Random(6);
        double[] s = StageCheck.random(rnd, n * f, 1);
        double[] ds = StageCheck.random(rnd, n * f, 1);
        double[] gs = Readout.backward(model, n, Readout.forward(model, z, s));
        StageCheck.directional("readout", t -> {
            double e = 0;
            for (double y : Readout.forward(model, z, StageCheck.axpy(s, t, ds)).energies()) {
                e += y;
            }
            return e;
        }, StageCheck.dot(gs, ds));
    }

    /** y_i = outnet(s_i) + atomref[Z_i] + mean_per_atom, each term once (the SPEC's E, atom by atom). */
    @Test
    void perAtomEnergiesIncludeAtomrefAndMean() {
        PainnModel shifted = RandomModels.modelWithShifts(4, 1, 5, 4.0, "gaussian", 4);
        PainnModel plain = RandomModels.model(4, 1, 5, 4.0, "gaussian", 4);
        double[] s = StageCheck.random(new Random(8), 4, 1);
        int[][] species = {{1}, {6}};
        for (int[] z : species) {
            double outnet = Readout.forward(plain, z, s).energies()[0];
            double y = Readout.forward(shifted, z, s).energies()[0];
            assertTrue(Math.abs(outnet) > 1e-3 && Math.abs(shifted.atomref[z[0]]) > 1e-3, "terms that do not vanish");
            assertEquals(outnet + shifted.atomref[z[0]] + (-3.25), y, 1e-12, "Z = " + z[0]);
        }
    }
}
