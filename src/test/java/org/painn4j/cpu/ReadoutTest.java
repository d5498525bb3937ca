package org.painn4j.cpu;

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

    @Test
    void perAtomEnergiesIncludeAtomrefAndMean() {
        PainnModel model = RandomModels.modelWithShifts(4, 1, 5, 4.0, "gaussian", 4);
        double[] s = new double[4];
        double[] y1 = Readout.forward(model, new int[] {1}, s).energies();
        double[] y6 = Readout.forward(model, new int[] {6}, s).energies();
        org.junit.jupiter.api.Assertions.assertEquals(model.atomref[6] - model.atomref[1], y6[0] - y1[0], 1e-12);
    }
}
