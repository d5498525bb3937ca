package org.painn4j.calc;

import org.painn4j.structure.Structure;

/** From the virial ∂E/∂ε = Σ_e r_e ⊗ ∂E/∂r_e to the stress, as every engine reports it. */
public final class Virial {
    private Virial() {
    }

    /**
     * ½(W + Wᵀ) for a structure periodic along at least one axis; null otherwise. A molecule
     * has no cell to strain, and for it the i-PI protocol expects zeros.
     */
    public static double[] symmetric(Structure structure, double[] virial) {
        if (!structure.anyPeriodic()) {
            return null;
        }
        double[] w = new double[9];
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                w[3 * a + b] = 0.5 * (virial[3 * a + b] + virial[3 * b + a]);
            }
        }
        return w;
    }

    /** (1/V)·½(W + Wᵀ) for a fully periodic structure; null otherwise (derivation.md (7.2)). */
    public static double[] stress(Structure structure, double[] virial) {
        if (!structure.fullyPeriodic()) {
            return null;
        }
        double vol = structure.volume();
        double[] st = symmetric(structure, virial);
        for (int i = 0; i < 9; i++) {
            st[i] /= vol;
        }
        return st;
    }
}
