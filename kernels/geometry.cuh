// Edge vectors exactly as the CPU neighbor list computes them (NeighborList javadoc):
//   shift = n_a·a + n_b·b + n_c·c   (in this order),   r = (pos[j] − pos[i]) + shift,
//   d = sqrt((x² + y²) + z²)
// in float64 with every operation rounded on its own (no fused multiply-add), so that the GPU
// and the CPU agree bit for bit on which pairs are inside the cutoff.
#pragma once

#include "common.cuh"

PAINN_DEVICE void edge_vector(const double* __restrict__ pos, const double* __restrict__ cell,
                              int i, int j, int na, int nb, int nc, double r[3]) {
#pragma unroll
    for (int c = 0; c < 3; c++) {
        double shift = __dadd_rn(__dadd_rn(__dmul_rn((double)na, cell[c]), __dmul_rn((double)nb, cell[3 + c])),
                                 __dmul_rn((double)nc, cell[6 + c]));
        r[c] = __dadd_rn(__dsub_rn(pos[3 * j + c], pos[3 * i + c]), shift);
    }
}

PAINN_DEVICE double norm_squared(const double r[3]) {
    return __dadd_rn(__dadd_rn(__dmul_rn(r[0], r[0]), __dmul_rn(r[1], r[1])), __dmul_rn(r[2], r[2]));
}
