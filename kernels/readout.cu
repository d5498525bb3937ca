// Stage 0 and 5: the embedding that starts the network, and the readout that ends it
// (derivation.md §6). The readout's dense layers run through painn_dense_*; these kernels add
// the per-element shifts and reduce the energy in float64 in a fixed order.
#include "common.cuh"

// s⁰_i = embedding[Z_i]; one thread per (atom, feature).
template <typename T>
PAINN_DEVICE void painn_embed_impl(int nAtoms, int F, const int* __restrict__ z, const T* __restrict__ table,
                                   T* __restrict__ s) {
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= nAtoms * F) return;
    int i = idx / F, f = idx % F;
    s[idx] = table[(size_t)z[i] * F + f];
}

#define EMBED_PARAMS(T) (int nAtoms, int F, const int* z, const T* table, T* s)
PAINN_ENTRY(painn_embed, EMBED_PARAMS, (nAtoms, F, z, table, s))

// E_i = y_i + atomref[Z_i] + mean_per_atom (shift[Z] holds the last two), in float64.
template <typename T>
PAINN_DEVICE void painn_readout_fwd_impl(int nAtoms, const int* __restrict__ z, const T* __restrict__ y,
                                         const double* __restrict__ shift, double* __restrict__ energies) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nAtoms) return;
    energies[i] = (double)y[i] + shift[z[i]];
}

#define READOUT_FWD_PARAMS(T) (int nAtoms, const int* z, const T* y, const double* shift, double* energies)
PAINN_ENTRY(painn_readout_fwd, READOUT_FWD_PARAMS, (nAtoms, z, y, shift, energies))

// ȳ_i = 1 for E = Σ_i y_i: the seed of the backward pass.
template <typename T>
PAINN_DEVICE void painn_readout_bwd_impl(int nAtoms, T* __restrict__ gy) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < nAtoms) gy[i] = T(1);
}

#define READOUT_BWD_PARAMS(T) (int nAtoms, T* gy)
PAINN_ENTRY(painn_readout_bwd, READOUT_BWD_PARAMS, (nAtoms, gy))

// E = Σ_i E_i in float64: one block of 1024 threads, each summing a strided subset in order,
// then a fixed tree. The same input gives the same bits every run.
extern "C" __global__ void painn_energy_sum(int nAtoms, const double* __restrict__ energies, double* __restrict__ out) {
    __shared__ double acc[1024];
    double s = 0;
    for (int i = threadIdx.x; i < nAtoms; i += blockDim.x) s += energies[i];
    acc[threadIdx.x] = s;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) acc[threadIdx.x] += acc[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[0] = acc[0];
}
