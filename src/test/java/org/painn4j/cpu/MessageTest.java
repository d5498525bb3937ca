package org.painn4j.cpu;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.NeighborList;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomModels;
import org.painn4j.testing.RandomStructures;

class MessageTest {

    @Test
    void backwardMatchesCentralDifferencesInEveryInput() {
        int f = 5;
        PainnModel model = RandomModels.model(f, 2, 6, 4.0, "gaussian", 21);
        Structure st = RandomStructures.cluster(9, 0.06, 4);
        NeighborList list = NeighborList.build(st, model.config.cutoff());
        Radial.Edges edges = Radial.forward(model, list.vector);
        int n = st.size();
        int e = list.edges();
        Random rnd = new Random(17);
        double[] s = StageCheck.random(rnd, n * f, 1);
        double[] v = StageCheck.random(rnd, n * 3 * f, 1);
        double[] gsOut = StageCheck.random(rnd, n * f, 1);
        double[] gvOut = StageCheck.random(rnd, n * 3 * f, 1);
        double[] ds = StageCheck.random(rnd, n * f, 1);
        double[] dv = StageCheck.random(rnd, n * 3 * f, 1);
        double[] dPhi = StageCheck.random(rnd, e * 6, 1);
        double[] dFc = StageCheck.random(rnd, e, 1);
        double[] dU = StageCheck.random(rnd, 3 * e, 1);
        for (int layer = 0; layer < 2; layer++) {
            int l = layer;
            double[] gPhi = new double[e * 6];
            double[] gFc = new double[e];
            double[] gU = new double[3 * e];
            Message.Saved saved = Message.forward(model, l, list, edges, s, v);
            Message.Grad g = Message.backward(model, l, list, edges, v, saved, gsOut, gvOut, gPhi, gFc, gU);
            double analytic = StageCheck.dot(g.gs(), ds) + StageCheck.dot(g.gv(), dv)
                    + StageCheck.dot(gPhi, dPhi) + StageCheck.dot(gFc, dFc) + StageCheck.dot(gU, dU);
            StageCheck.directional("message layer " + l, t -> {
                Radial.Edges moved = new Radial.Edges(e, 6, edges.d(), StageCheck.axpy(edges.u(), t, dU),
                        StageCheck.axpy(edges.phi(), t, dPhi), edges.dphi(),
                        StageCheck.axpy(edges.fc(), t, dFc), edges.dfc());
                Message.Saved out = Message.forward(model, l, list, moved,
                        StageCheck.axpy(s, t, ds), StageCheck.axpy(v, t, dv));
                return StageCheck.dot(gsOut, out.sOut()) + StageCheck.dot(gvOut, out.vOut());
            }, analytic);
        }
    }
}
