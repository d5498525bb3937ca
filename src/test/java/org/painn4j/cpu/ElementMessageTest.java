package org.painn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.NeighborList;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomModels;
import org.painn4j.testing.RandomStructures;

/**
 * Layer 0's message by elements against the direct message (Message with layer 0, v = 0):
 * forward outputs, and ∂E/∂d, ∂E/∂u of every edge, to 1e-12 relative; and the shape of the
 * tables and sums.
 */
class ElementMessageTest {

    /** The two model shapes of KernelPairsTest: gaussian with shifts, bessel with shared filters. */
    static PainnModel model(String name) {
        return name.equals("gaussian") ? RandomModels.modelWithShifts(128, 3, 20, 5.0, "gaussian", 11)
                : RandomModels.sharedFilters(24, 2, 12, 4.5, "bessel", 12);
    }

    static Structure structure(String name) {
        if (name.equals("cluster")) {
            return RandomStructures.cluster(24, 0.1, 4);
        }
        // c thinner than both cutoffs: atoms see their own images, several images of others
        double[] cell = {7.0, 0, 0, 0.8, 6.5, 0, 0.3, 0.5, 4.2};
        return RandomStructures.periodic(16, cell, new boolean[] {true, true, true}, 5);
    }

    static Stream<Arguments> cases() {
        return Stream.of("gaussian", "bessel").flatMap(m -> Stream.of("cluster", "periodic")
                .map(s -> Arguments.of(m, s)));
    }

    private record Setup(PainnModel model, Structure st, NeighborList list, Radial.Edges edges, int f) {
        int n() {
            return st.size();
        }
    }

    private static Setup setup(String modelName, String structureName) {
        PainnModel model = model(modelName);
        Structure st = structure(structureName);
        assertTrue(Arrays.stream(st.numbers()).distinct().count() >= 3, "the structure needs 3+ elements");
        NeighborList list = NeighborList.build(st, model.config.cutoff());
        assertTrue(list.edges() > 10 * st.size(), "too few edges to test anything: " + list.edges());
        return new Setup(model, st, list, Radial.forward(model, list.vector), model.config.nAtomBasis());
    }

    private static double[] embeddingRows(PainnModel model, int[] numbers) {
        int f = model.config.nAtomBasis();
        double[] s = new double[numbers.length * f];
        for (int i = 0; i < numbers.length; i++) {
            System.arraycopy(model.embedding, numbers[i] * f, s, i * f, f);
        }
        return s;
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double x : a) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    /** max |a − b| over max(floor, max |b|). */
    private static double relative(double[] a, double[] b, double floor) {
        assertEquals(b.length, a.length);
        double err = 0;
        for (int i = 0; i < a.length; i++) {
            err = Math.max(err, Math.abs(a[i] - b[i]));
        }
        return err / Math.max(floor, maxAbs(b));
    }

    private static void close(String what, double[] got, double[] want, double floor) {
        double rel = relative(got, want, floor);
        System.out.printf("ElementMessageTest %-40s worst relative difference %.3e (max |value| %.3e)%n",
                what, rel, maxAbs(want));
        assertTrue(rel <= 1e-12, what + ": relative difference " + rel);
        assertTrue(maxAbs(want) > 1e-3, what + ": a vanishing reference tests nothing");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void forwardMatchesTheDirectMessage(String modelName, String structureName) {
        Setup s = setup(modelName, structureName);
        int n = s.n();
        ElementMessage.Tables t = ElementMessage.tables(s.model(), s.st().numbers());
        ElementMessage.Saved el = ElementMessage.forward(t, s.list(), s.edges(), s.f());
        Message.Saved direct = Message.forward(s.model(), 0, s.list(), s.edges(),
                embeddingRows(s.model(), s.st().numbers()), new double[n * 3 * s.f()]);
        String tag = modelName + " " + structureName;
        close(tag + " s'", el.sMid(), direct.sOut(), 1.0);
        close(tag + " v'", el.vMid(), direct.vOut(), 1.0);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void backwardMatchesTheDirectMessage(String modelName, String structureName) {
        Setup s = setup(modelName, structureName);
        int n = s.n();
        int f = s.f();
        int e = s.list().edges();
        int k = s.edges().k();
        Random rnd = new Random(31);
        double[] gs = StageCheck.random(rnd, n * f, 1);
        double[] gv = StageCheck.random(rnd, n * 3 * f, 1);

        double[] v0 = new double[n * 3 * f];
        Message.Saved saved = Message.forward(s.model(), 0, s.list(), s.edges(),
                embeddingRows(s.model(), s.st().numbers()), v0);
        double[] gPhi = new double[e * k];
        double[] gFc = new double[e];
        double[] gUDirect = new double[3 * e];
        Message.backward(s.model(), 0, s.list(), s.edges(), v0, saved, gs, gv, gPhi, gFc, gUDirect);
        double[] gdDirect = new double[e];
        for (int q = 0; q < e; q++) {
            double g = gFc[q] * s.edges().dfc()[q];
            for (int kk = 0; kk < k; kk++) {
                g += gPhi[q * k + kk] * s.edges().dphi()[q * k + kk];
            }
            gdDirect[q] = g;
        }

        ElementMessage.Tables t = ElementMessage.tables(s.model(), s.st().numbers());
        double[] gd = new double[e];
        double[] gU = new double[3 * e];
        ElementMessage.Grad grad = ElementMessage.backward(t, s.list(), s.edges(), f, gs, gv, gd, gU);
        assertEquals(n * t.width(), grad.ra().length);
        assertEquals(3 * n * t.width(), grad.rb().length);
        String tag = modelName + " " + structureName;
        close(tag + " dE/dd", gd, gdDirect, 0.0);
        close(tag + " dE/du", gU, gUDirect, 0.0);

        // it adds: a second call doubles (exactly)
        double[] gd1 = gd.clone();
        double[] gU1 = gU.clone();
        ElementMessage.backward(t, s.list(), s.edges(), f, gs, gv, gd, gU);
        for (int q = 0; q < e; q++) {
            assertEquals(2 * gd1[q], gd[q], 0.0);
        }
        for (int q = 0; q < 3 * e; q++) {
            assertEquals(2 * gU1[q], gU[q], 0.0);
        }
    }

    @Test
    void widthIsAMultipleOfFourHoldingEveryColumn() {
        for (int ne = 1; ne <= 12; ne++) {
            for (int k = 1; k <= 33; k++) {
                int w = ElementMessage.width(ne, k);
                assertEquals(0, w % 4);
                assertTrue(w >= ne * (k + 2) && w < ne * (k + 2) + 4, ne + " elements, K " + k + ": " + w);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void tablesAndSumsHaveTheirLayout(String modelName, String structureName) {
        Setup s = setup(modelName, structureName);
        int n = s.n();
        int f = s.f();
        int[] numbers = s.st().numbers();
        ElementMessage.Tables t = ElementMessage.tables(s.model(), numbers);
        int[] elements = Arrays.stream(numbers).distinct().sorted().toArray();
        assertArrayEquals(elements, t.elements());
        int ne = elements.length;
        int k1 = s.model().config.nRbf() + 1;
        assertEquals(k1, t.k1());
        assertEquals(ElementMessage.width(ne, k1 - 1), t.width());
        assertEquals(0, t.width() % 4);
        assertEquals(t.width() * f, t.ma().length);
        assertEquals(t.width() * f, t.mb().length);
        for (int i = 0; i < n; i++) {
            assertEquals(numbers[i], elements[t.slot()[i]]);
        }
        int oneHot = ne * k1;
        // Ma's one-hot rows hold the embedding; Mb's, and all padding rows, are zero
        for (int z = 0; z < ne; z++) {
            for (int ft = 0; ft < f; ft++) {
                assertEquals(s.model().embedding[elements[z] * f + ft], t.ma()[(oneHot + z) * f + ft], 0.0);
                assertEquals(0.0, t.mb()[(oneHot + z) * f + ft], 0.0);
            }
        }
        for (int q = oneHot + ne; q < t.width(); q++) {
            for (int ft = 0; ft < f; ft++) {
                assertEquals(0.0, t.ma()[q * f + ft], 0.0);
                assertEquals(0.0, t.mb()[q * f + ft], 0.0);
            }
        }
        ElementMessage.Sums sums = ElementMessage.sums(t, s.list(), s.edges());
        int w = t.width();
        assertEquals(n * w, sums.p().length);
        assertEquals(3 * n * w, sums.q().length);
        for (int i = 0; i < n; i++) {
            double total = 0;
            for (int z = 0; z < ne; z++) {
                double p = sums.p()[i * w + oneHot + z];
                assertTrue(p == 0.0 || p == 1.0);
                total += p;
            }
            assertEquals(1.0, total, 0.0, "one-hot columns of atom " + i);
            assertEquals(1.0, sums.p()[i * w + oneHot + t.slot()[i]], 0.0);
            for (int q = oneHot + ne; q < w; q++) {
                assertEquals(0.0, sums.p()[i * w + q], 0.0);
            }
            for (int c = 0; c < 3; c++) {
                for (int q = oneHot; q < w; q++) {
                    assertEquals(0.0, sums.q()[(i * 3 + c) * w + q], 0.0);
                }
            }
            // the bias column of element z is Σ fc over the row's edges to atoms of z
            for (int z = 0; z < ne; z++) {
                double fc = 0;
                for (int e = s.list().rowStart[i]; e < s.list().rowStart[i + 1]; e++) {
                    if (t.slot()[s.list().neighbor[e]] == z) {
                        fc += s.edges().fc()[e];
                    }
                }
                assertEquals(fc, sums.p()[i * w + z * k1 + k1 - 1], 1e-12 * Math.max(1, Math.abs(fc)));
            }
        }
    }

    /**
     * Tables built for a superset of the structure's elements (an absent element before, between
     * and after the present ones) give the same outputs and gradients, bit for bit: the absent
     * element's columns of P and Q are zero and add exact zeros.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void anAbsentElementChangesNothing(String modelName, String structureName) {
        Setup s = setup(modelName, structureName);
        int n = s.n();
        int f = s.f();
        int e = s.list().edges();
        int[] numbers = s.st().numbers();
        int[] wider = Arrays.copyOf(numbers, n + 3);
        wider[n] = 3;
        wider[n + 1] = 9;
        wider[n + 2] = 2;
        for (int z : new int[] {2, 3, 9}) {
            assertTrue(Arrays.stream(numbers).noneMatch(x -> x == z));
        }
        ElementMessage.Tables t = ElementMessage.tables(s.model(), numbers);
        ElementMessage.Tables big = ElementMessage.tables(s.model(), wider);
        assertEquals(t.elements().length + 3, big.elements().length);
        assertTrue(big.width() > t.width());

        ElementMessage.Saved a = ElementMessage.forward(t, s.list(), s.edges(), f);
        ElementMessage.Saved b = ElementMessage.forward(big, s.list(), s.edges(), f);
        assertArrayEquals(a.sMid(), b.sMid());
        assertArrayEquals(a.vMid(), b.vMid());

        Random rnd = new Random(77);
        double[] gs = StageCheck.random(rnd, n * f, 1);
        double[] gv = StageCheck.random(rnd, n * 3 * f, 1);
        double[] gdA = new double[e];
        double[] gUA = new double[3 * e];
        double[] gdB = new double[e];
        double[] gUB = new double[3 * e];
        ElementMessage.backward(t, s.list(), s.edges(), f, gs, gv, gdA, gUA);
        ElementMessage.backward(big, s.list(), s.edges(), f, gs, gv, gdB, gUB);
        assertArrayEquals(gdA, gdB);
        assertArrayEquals(gUA, gUB);
    }
}
