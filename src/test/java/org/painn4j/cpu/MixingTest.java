package org.painn4j.cpu;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.painn4j.model.PainnModel;
import org.painn4j.testing.RandomModels;

class MixingTest {

    @Test
    void backwardMatchesCentralDifferences() {
        int f = 7;
        int n = 4;
        PainnModel model = RandomModels.model(f, 2, 5, 4.0, "bessel", 8);
        Random rnd = new Random(3);
        double[] s = StageCheck.random(rnd, n * f, 1);
        double[] v = StageCheck.random(rnd, n * 3 * f, 1);
        double[] gsOut = StageCheck.random(rnd, n * f, 1);
        double[] gvOut = StageCheck.random(rnd, n * 3 * f, 1);
        double[] ds = StageCheck.random(rnd, n * f, 1);
        double[] dv = StageCheck.random(rnd, n * 3 * f, 1);
        for (int layer = 0; layer < 2; layer++) {
            int l = layer;
            Mixing.Grad g = Mixing.backward(model, l, n, Mixing.forward(model, l, n, s, v), gsOut, gvOut);
            StageCheck.directional("mixing layer " + l, t -> {
                Mixing.Saved out = Mixing.forward(model, l, n, StageCheck.axpy(s, t, ds), StageCheck.axpy(v, t, dv));
                return StageCheck.dot(gsOut, out.sOut()) + StageCheck.dot(gvOut, out.vOut());
            }, StageCheck.dot(g.gs(), ds) + StageCheck.dot(g.gv(), dv));
        }
    }

    @Test
    void zeroVectorFeaturesGiveFiniteAdjoints() {
        int f = 4;
        PainnModel model = RandomModels.model(f, 1, 5, 4.0, "gaussian", 8);
        double[] s = StageCheck.random(new Random(1), f, 1);
        double[] v = new double[3 * f];
        Mixing.Grad g = Mixing.backward(model, 0, 1, Mixing.forward(model, 0, 1, s, v),
                StageCheck.random(new Random(2), f, 1), StageCheck.random(new Random(3), 3 * f, 1));
        for (double x : g.gv()) {
            org.junit.jupiter.api.Assertions.assertTrue(Double.isFinite(x));
        }
    }
}
