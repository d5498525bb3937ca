package org.painn4j.cpu;

/** silu(x) = x·σ(x) and its derivative σ(x)·(1 + x·(1 − σ(x))). */
final class Silu {
    private Silu() {
    }

    static double value(double x) {
        return x / (1.0 + Math.exp(-x));
    }

    static double derivative(double x) {
        double sig = 1.0 / (1.0 + Math.exp(-x));
        return sig * (1.0 + x * (1.0 - sig));
    }

    static double[] apply(double[] pre) {
        double[] out = new double[pre.length];
        for (int i = 0; i < pre.length; i++) {
            out[i] = value(pre[i]);
        }
        return out;
    }

    /** g ⊙ silu'(pre): the adjoint of the activation. */
    static double[] backward(double[] g, double[] pre) {
        double[] out = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            out[i] = g[i] * derivative(pre[i]);
        }
        return out;
    }
}
