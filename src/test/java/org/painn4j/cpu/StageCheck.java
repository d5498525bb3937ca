package org.painn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Function;

/**
 * Checks a stage's backward pass against central differences of its forward pass: for a
 * random upstream adjoint ḡ and a random direction δ, the backward gives x̄ and
 * ⟨x̄, δ⟩ must equal d/dt ⟨ḡ, f(x + tδ)⟩ at t = 0.
 */
final class StageCheck {
    private StageCheck() {
    }

    static double[] random(Random rnd, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (2 * rnd.nextDouble() - 1) * scale;
        }
        return v;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /**
     * @param objective t ↦ ⟨ḡ, f(x + tδ)⟩
     * @param analytic  ⟨x̄, δ⟩ from the backward pass
     */
    static void directional(String what, Function<Double, Double> objective, double analytic) {
        directional(what, objective, analytic, 1e-5);
    }

    /** With a step of one's own, where the objective curves sharply (the norm's √(V² + ε) at V = 0). */
    static void directional(String what, Function<Double, Double> objective, double analytic, double h) {
        double fd = (objective.apply(h) - objective.apply(-h)) / (2 * h);
        double err = Math.abs(fd - analytic);
        double scale = Math.max(1.0, Math.abs(analytic));
        assertTrue(err < 1e-7 * scale, what + ": backward " + analytic + " vs central difference " + fd
                + " (|diff| " + err + ")");
        assertTrue(Math.abs(analytic) > 1e-6, what + ": a vanishing directional derivative tests nothing");
    }

    static double[] axpy(double[] x, double t, double[] d) {
        double[] r = x.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] += t * d[i];
        }
        return r;
    }
}
