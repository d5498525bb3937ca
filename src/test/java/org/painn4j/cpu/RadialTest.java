package org.painn4j.cpu;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.painn4j.model.PainnModel;
import org.painn4j.testing.RandomModels;

class RadialTest {

    @ParameterizedTest
    @ValueSource(strings = {"gaussian", "bessel"})
    void backwardMatchesCentralDifferences(String basis) {
        PainnModel model = RandomModels.model(8, 2, 10, 4.5, basis, 11);
        Random rnd = new Random(5);
        int e = 40;
        double[] vec = new double[3 * e];
        for (int i = 0; i < e; i++) {
            double[] u = StageCheck.random(rnd, 3, 1);
            double n = Math.sqrt(StageCheck.dot(u, u));
            double d = 0.6 + 3.8 * rnd.nextDouble();
            for (int a = 0; a < 3; a++) {
                vec[3 * i + a] = u[a] / n * d;
            }
        }
        double[] gPhi = StageCheck.random(rnd, e * 10, 1);
        double[] gFc = StageCheck.random(rnd, e, 1);
        double[] gU = StageCheck.random(rnd, 3 * e, 1);
        double[] delta = StageCheck.random(rnd, 3 * e, 1);
        double[] gr = Radial.backward(Radial.forward(model, vec), gPhi, gFc, gU);
        StageCheck.directional("radial " + basis, t -> {
            Radial.Edges f = Radial.forward(model, StageCheck.axpy(vec, t, delta));
            return StageCheck.dot(gPhi, f.phi()) + StageCheck.dot(gFc, f.fc()) + StageCheck.dot(gU, f.u());
        }, StageCheck.dot(gr, delta));
    }
}
