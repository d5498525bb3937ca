package org.painn4j.calc;

/**
 * What a calculator returns. Units: eV, eV/Å, eV/Å³.
 *
 * @param energy   total energy
 * @param energies per-atom energies y_i (including atomref and mean_per_atom), [N]
 * @param forces   −∂E/∂pos, row-major [N][3]
 * @param stress   (1/V) ∂E/∂ε, row-major [3][3], symmetric; null unless the structure is
 *                 periodic along all three axes
 * @param virial   ∂E/∂ε in eV, row-major [3][3], symmetric (the derivative under a homogeneous
 *                 strain ε of positions and cell, well defined along open axes too); null unless
 *                 the structure is periodic along at least one axis
 * @param edges    the number of directed edges (neighbor pairs, images counted) evaluated
 */
public record Result(double energy, double[] energies, double[] forces, double[] stress, double[] virial,
                     int edges) {
}
