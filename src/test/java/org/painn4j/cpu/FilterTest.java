package org.painn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.painn4j.model.PainnModel;
import org.painn4j.testing.RandomModels;

class FilterTest {

    @Test
    void backwardMatchesCentralDifferencesForEveryLayerBlock() {
        int f = 6;
        int k = 7;
        PainnModel model = RandomModels.model(f, 3, k, 5.0, "gaussian", 2);
        Random rnd = new Random(9);
        double[] phi = StageCheck.random(rnd, k, 1);
        double[] dPhi = StageCheck.random(rnd, k, 1);
        double fc = 0.7;
        double dFc = 0.3;
        for (int layer = 0; layer < 3; layer++) {
            int l = layer;
            double[] gw = StageCheck.random(rnd, 3 * f, 1);
            double[] gPhi = new double[k];
            double[] gFc = new double[1];
            Filter.backward(model, l, edge(phi, fc, k), 0, gw, gPhi, gFc);
            StageCheck.directional("filter layer " + l, t -> {
                double[] w = new double[3 * f];
                Filter.forward(model, l, edge(StageCheck.axpy(phi, t, dPhi), fc + t * dFc, k), 0, w);
                return StageCheck.dot(gw, w);
            }, StageCheck.dot(gPhi, dPhi) + gFc[0] * dFc);
        }
    }

    @Test
    void backwardGivesTheFilterValuesOfTheForwardPassBitForBit() {
        // 3F = 18 and 21: four at a time with and without a remainder
        for (int f : new int[] {6, 7}) {
            int k = 5;
            PainnModel model = RandomModels.model(f, 2, k, 5.0, "gaussian", 4);
            Random rnd = new Random(f);
            Radial.Edges e = edge(StageCheck.random(rnd, k, 1), 0.61, k);
            for (int l = 0; l < 2; l++) {
                double[] forward = new double[3 * f];
                Filter.forward(model, l, e, 0, forward);
                double[] gPhi = StageCheck.random(rnd, k, 1);
                double[] gFc = StageCheck.random(rnd, 1, 1);
                double[] gPhiAlone = gPhi.clone();
                double[] gFcAlone = gFc.clone();
                double[] gw = StageCheck.random(rnd, 3 * f, 1);
                double[] w = new double[3 * f];
                Arrays.fill(w, Double.NaN);
                Filter.backward(model, l, e, 0, gw, w, gPhi, gFc);
                Filter.backward(model, l, e, 0, gw, gPhiAlone, gFcAlone);
                assertArrayEquals(forward, w, "F " + f + ", layer " + l);
                assertArrayEquals(gPhiAlone, gPhi);
                assertArrayEquals(gFcAlone, gFc);
            }
        }
    }

    static Radial.Edges edge(double[] phi, double fc, int k) {
        return new Radial.Edges(1, k, new double[] {1}, new double[] {1, 0, 0}, phi, new double[k],
                new double[] {fc}, new double[1]);
    }
}
