package org.painn4j.cpu;

import org.painn4j.model.Dense;
import org.painn4j.model.PainnModel;

/**
 * Stage 5, the readout: y_i = outnet(s_i), dense layers with silu between them, then the
 * per-element shift atomref[Z_i] + mean_per_atom. E = Σ_i y_i.
 */
public final class Readout {
    private Readout() {
    }

    /** Per-atom energies (shift included) and the pre-activations of every hidden layer. */
    public record Saved(double[] energies, double[][] hPre) {
    }

    public static Saved forward(PainnModel model, int[] numbers, double[] s) {
        int atoms = numbers.length;
        Dense[] layers = model.outnet;
        double[][] hPre = new double[layers.length - 1][];
        double[] h = s;
        for (int k = 0; k < layers.length - 1; k++) {
            hPre[k] = DenseOps.forward(layers[k], h, atoms);
            h = Silu.apply(hPre[k]);
        }
        double[] y = DenseOps.forward(layers[layers.length - 1], h, atoms);
        for (int i = 0; i < atoms; i++) {
            y[i] += model.energyShift(numbers[i]);
        }
        return new Saved(y, hPre);
    }

    /** ∂E/∂s for E = Σ_i y_i: the upstream gradient of every y_i is 1. */
    public static double[] backward(PainnModel model, int atoms, Saved saved) {
        Dense[] layers = model.outnet;
        double[] g = new double[atoms];
        java.util.Arrays.fill(g, 1.0);
        for (int k = layers.length - 1; k >= 0; k--) {
            g = DenseOps.backward(layers[k], g, atoms);
            if (k > 0) {
                g = Silu.backward(g, saved.hPre()[k - 1]);
            }
        }
        return g;
    }
}
