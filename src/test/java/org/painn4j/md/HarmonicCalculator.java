package org.painn4j.md;

import org.painn4j.calc.Calculator;
import org.painn4j.calc.Result;
import org.painn4j.structure.Structure;

/**
 * Every atom tied to its own anchor by a spring, E = Σ ½k|x − x₀|²: independent oscillators
 * whose equilibrium statistics are known exactly, for testing thermostats cheaply.
 */
final class HarmonicCalculator implements Calculator {
    private final double[] anchors;
    private final double k;

    /** @param k spring constant, eV/Å² */
    HarmonicCalculator(double[] anchors, double k) {
        this.anchors = anchors.clone();
        this.k = k;
    }

    @Override
    public Result compute(Structure s) {
        double[] x = s.positions();
        int n = s.size();
        double[] f = new double[3 * n];
        double[] e = new double[n];
        double total = 0;
        for (int i = 0; i < 3 * n; i++) {
            double d = x[i] - anchors[i];
            f[i] = -k * d;
            e[i / 3] += 0.5 * k * d * d;
        }
        for (double v : e) {
            total += v;
        }
        return new Result(total, e, f, null, null, 0);
    }

    @Override
    public String describe() {
        return "harmonic";
    }
}
