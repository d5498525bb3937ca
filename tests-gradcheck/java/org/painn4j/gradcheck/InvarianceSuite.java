package org.painn4j.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Result;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Mat3;
import org.painn4j.structure.Structure;

/**
 * What symmetry and locality say the results must do: invariance under translation, rotation
 * and reflection, permutation of atoms and the choice of periodic image; additivity of
 * separated fragments; zero force without neighbors; a smooth approach to zero at the cutoff.
 */
abstract class InvarianceSuite {

    protected abstract Engine engine();

    private Calculator calc() {
        return engine().factory().apply(TestModels.shipped());
    }

    private void assertClose(String what, double expected, double actual, double scale) {
        double tol = engine().symmetryTolerance() * Math.max(1.0, scale);
        assertEquals(expected, actual, tol, what);
    }

    private void assertSameResults(String what, Result a, Result b, int[] order, double[] rot) {
        assertClose(what + ": energy", a.energy(), b.energy(), Math.abs(a.energy()));
        double fmax = 0;
        for (double f : a.forces()) {
            fmax = Math.max(fmax, Math.abs(f));
        }
        for (int i = 0; i < order.length; i++) {
            int src = order[i];
            for (int c = 0; c < 3; c++) {
                double expected = 0;
                for (int k = 0; k < 3; k++) {
                    expected += a.forces()[3 * src + k] * rot[3 * k + c];
                }
                assertClose(what + ": force on atom " + i, expected, b.forces()[3 * i + c], fmax);
            }
        }
    }

    private static int[] identityOrder(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        return o;
    }

    /** A random orthogonal matrix (rows), from Gram–Schmidt on gaussian vectors; det ±1. */
    static double[] randomOrthogonal(Random rnd, boolean reflect) {
        double[] q = new double[9];
        for (int r = 0; r < 3; r++) {
            double[] v = {rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian()};
            for (int p = 0; p < r; p++) {
                double d = v[0] * q[3 * p] + v[1] * q[3 * p + 1] + v[2] * q[3 * p + 2];
                for (int c = 0; c < 3; c++) {
                    v[c] -= d * q[3 * p + c];
                }
            }
            double n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            for (int c = 0; c < 3; c++) {
                q[3 * r + c] = v[c] / n;
            }
        }
        if ((Mat3.det(q) < 0) != reflect) {
            for (int c = 0; c < 3; c++) {
                q[6 + c] = -q[6 + c];
            }
        }
        return q;
    }

    private static double[] rowsTimes(double[] rows, double[] m) {
        double[] out = new double[rows.length];
        for (int r = 0; r < rows.length / 3; r++) {
            for (int j = 0; j < 3; j++) {
                out[3 * r + j] = rows[3 * r] * m[j] + rows[3 * r + 1] * m[3 + j] + rows[3 * r + 2] * m[6 + j];
            }
        }
        return out;
    }

    @Test
    void translationChangesNothing() {
        try (Calculator calc = calc()) {
            for (Structure s : new Structure[] {TestStructures.cluster(30, 1), TestStructures.triclinic()}) {
                double[] p = s.positions();
                for (int i = 0; i < p.length; i++) {
                    p[i] += new double[] {3.7, -12.2, 0.45}[i % 3];
                }
                assertSameResults("translation", calc.compute(s), calc.compute(s.withPositions(p)),
                        identityOrder(s.size()), Mat3.identity());
            }
        }
    }

    @Test
    void rotationsAndReflectionsRotateTheForces() {
        Random rnd = new Random(42);
        try (Calculator calc = calc()) {
            for (boolean reflect : new boolean[] {false, true}) {
                for (Structure s : new Structure[] {TestStructures.cluster(30, 2), TestStructures.triclinic(), TestStructures.slab()}) {
                    double[] q = randomOrthogonal(rnd, reflect);
                    Structure turned = s.hasCell()
                            ? s.withPositionsAndCell(rowsTimes(s.positions(), q), rowsTimes(s.cell(), q))
                            : s.withPositions(rowsTimes(s.positions(), q));
                    Result a = calc.compute(s);
                    Result b = calc.compute(turned);
                    assertSameResults(reflect ? "reflection" : "rotation", a, b, identityOrder(s.size()), q);
                    if (s.fullyPeriodic()) {
                        // σ' = Qᵀ σ Q for row vectors x' = x·Q
                        double[] expected = Mat3.multiply(Mat3.transpose(q), Mat3.multiply(a.stress(), q));
                        for (int k = 0; k < 9; k++) {
                            assertClose("rotated stress", expected[k], b.stress()[k], 1.0);
                        }
                    }
                }
            }
        }
    }

    @Test
    void permutingAtomsPermutesForces() {
        Random rnd = new Random(7);
        try (Calculator calc = calc()) {
            for (Structure s : new Structure[] {TestStructures.cluster(30, 3), TestStructures.smallCube()}) {
                int n = s.size();
                int[] order = identityOrder(n);
                for (int i = n - 1; i > 0; i--) {
                    int j = rnd.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                int[] z = new int[n];
                double[] p = new double[3 * n];
                for (int i = 0; i < n; i++) {
                    z[i] = s.number(order[i]);
                    for (int c = 0; c < 3; c++) {
                        p[3 * i + c] = s.position(order[i], c);
                    }
                }
                Structure permuted = new Structure(z, p, s.cell(), s.pbc());
                assertSameResults("permutation", calc.compute(s), calc.compute(permuted), order, Mat3.identity());
            }
        }
    }

    @Test
    void periodicImageChoiceChangesNothing() {
        Random rnd = new Random(8);
        try (Calculator calc = calc()) {
            for (Structure s : new Structure[] {TestStructures.triclinic(), TestStructures.slab(), TestStructures.tinyCube()}) {
                double[] p = s.positions();
                double[] cell = s.cell();
                for (int i = 0; i < s.size(); i++) {
                    for (int axis = 0; axis < 3; axis++) {
                        if (s.periodic(axis)) {
                            int n = rnd.nextInt(7) - 3;
                            for (int c = 0; c < 3; c++) {
                                p[3 * i + c] += n * cell[3 * axis + c];
                            }
                        }
                    }
                }
                Result a = calc.compute(s);
                Result b = calc.compute(s.withPositions(p));
                assertSameResults("image choice", a, b, identityOrder(s.size()), Mat3.identity());
                if (s.fullyPeriodic()) {
                    for (int k = 0; k < 9; k++) {
                        assertClose("stress", a.stress()[k], b.stress()[k], 1.0);
                    }
                }
            }
        }
    }

    @Test
    void separatedMoleculesAddUp() {
        Structure a = TestStructures.ethanol();
        Structure b = TestStructures.cluster(15, 9);
        int na = a.size();
        int nb = b.size();
        int[] z = new int[na + nb];
        double[] p = new double[3 * (na + nb)];
        for (int i = 0; i < na; i++) {
            z[i] = a.number(i);
            System.arraycopy(a.positions(), 3 * i, p, 3 * i, 3);
        }
        for (int i = 0; i < nb; i++) {
            z[na + i] = b.number(i);
            for (int c = 0; c < 3; c++) {
                p[3 * (na + i) + c] = b.position(i, c) + (c == 0 ? 40.0 : 0.0);
            }
        }
        try (Calculator calc = calc()) {
            Result ra = calc.compute(a);
            Result rb = calc.compute(b);
            Result both = calc.compute(Structure.molecule(z, p));
            double sum = ra.energy() + rb.energy();
            assertClose("E(A+B) = E(A) + E(B)", sum, both.energy(), Math.abs(sum));
            for (int i = 0; i < na + nb; i++) {
                for (int c = 0; c < 3; c++) {
                    double expected = i < na ? ra.forces()[3 * i + c] : rb.forces()[3 * (i - na) + c];
                    assertClose("force on atom " + i, expected, both.forces()[3 * i + c], 10.0);
                }
            }
        }
    }

    @Test
    void anAtomWithoutNeighborsFeelsExactlyNoForce() {
        Structure s = TestStructures.ethanol();
        int n = s.size();
        int[] z = new int[n + 1];
        double[] p = new double[3 * (n + 1)];
        System.arraycopy(s.numbers(), 0, z, 0, n);
        System.arraycopy(s.positions(), 0, p, 0, 3 * n);
        z[n] = 8;
        p[3 * n] = 20.0;
        try (Calculator calc = calc()) {
            Result r = calc.compute(Structure.molecule(z, p));
            for (int c = 0; c < 3; c++) {
                assertEquals(0.0, r.forces()[3 * n + c], 0.0, "force on the lone atom");
            }
        }
    }

    /** A C–O pair at distance rc − δ: E − E(∞) ~ δ² and F ~ δ as δ → 0, and exactly 0 past rc. */
    @Test
    void energyAndForcesVanishSmoothlyAtTheCutoff() {
        PainnModel model = TestModels.shipped();
        double rc = model.config.cutoff();
        try (Calculator calc = calc()) {
            double apart = calc.energy(dimer(rc + 1.0));
            assertEquals(apart, calc.compute(dimer(rc)).energy(), 0.0, "at d = rc the pair does not interact");
            assertEquals(0.0, calc.compute(dimer(rc + 1e-9)).forces()[0], 0.0);
            double[] de = new double[3];
            double[] f = new double[3];
            double[] deltas = {1e-1, 1e-2, 1e-3};
            for (int k = 0; k < 3; k++) {
                Result r = calc.compute(dimer(rc - deltas[k]));
                de[k] = Math.abs(r.energy() - apart);
                f[k] = Math.abs(r.forces()[0]);
            }
            assertTrue(de[0] > 1e-7 && f[0] > 1e-5, "the pair must interact inside the cutoff: ΔE " + de[0] + ", F " + f[0]);
            // below the engine's rounding noise a ratio means nothing: there it must just be small
            double noiseE = 10 * engine().symmetryTolerance() * Math.max(1, Math.abs(apart));
            double noiseF = 10 * engine().symmetryTolerance();
            for (int k = 1; k < 3; k++) {
                String at = "δ = " + deltas[k] + ": ";
                assertTrue(de[k] < noiseE || de[k] / de[k - 1] < 0.02, at + "ΔE must fall like δ²: " + java.util.Arrays.toString(de));
                assertTrue(f[k] < noiseF || f[k] / f[k - 1] < 0.2, at + "F must fall like δ: " + java.util.Arrays.toString(f));
            }
        }
    }

    private static Structure dimer(double d) {
        return Structure.molecule(new int[] {6, 8}, new double[] {0, 0, 0, d, 0, 0});
    }
}
