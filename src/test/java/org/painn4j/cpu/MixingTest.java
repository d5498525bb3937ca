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

    /**
     * At v = 0 (every atom's vector features at the first layer) the norm √(V² + ε) is at its
     * minimum: the adjoints must be finite and still right, now carried by v's linear path alone.
     * Its curvature there, about 1/√ε = 10⁴, asks for a step of 1e-7: 1e-5 leaves a truncation
     * error of about 1e-7.
     */
    @Test
    void zeroVectorFeaturesGiveFiniteAndCorrectAdjoints() {
        int f = 4;
        int n = 2;
        PainnModel model = RandomModels.model(f, 1, 5, 4.0, "gaussian", 8);
        Random rnd = new Random(1);
        double[] s = StageCheck.random(rnd, n * f, 1);
        double[] v = new double[n * 3 * f];
        double[] gsOut = StageCheck.random(rnd, n * f, 1);
        double[] gvOut = StageCheck.random(rnd, n * 3 * f, 1);
        double[] ds = StageCheck.random(rnd, n * f, 1);
        double[] dv = StageCheck.random(rnd, n * 3 * f, 1);
        Mixing.Grad g = Mixing.backward(model, 0, n, Mixing.forward(model, 0, n, s, v), gsOut, gvOut);
        for (double x : g.gv()) {
            org.junit.jupiter.api.Assertions.assertTrue(Double.isFinite(x));
        }
        StageCheck.directional("mixing at v = 0, along v", t -> {
            Mixing.Saved out = Mixing.forward(model, 0, n, s, StageCheck.axpy(v, t, dv));
            return StageCheck.dot(gsOut, out.sOut()) + StageCheck.dot(gvOut, out.vOut());
        }, StageCheck.dot(g.gv(), dv), 1e-7);
        StageCheck.directional("mixing at v = 0, along s", t -> {
            Mixing.Saved out = Mixing.forward(model, 0, n, StageCheck.axpy(s, t, ds), v);
            return StageCheck.dot(gsOut, out.sOut()) + StageCheck.dot(gvOut, out.vOut());
        }, StageCheck.dot(g.gs(), ds));
    }
}
