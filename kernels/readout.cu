// Stage 5: the readout's end (derivation.md §6). Its dense layers run through painn_dense_*; this
// kernel adds the per-element shifts and reduces the energy in float64, in a fixed order. The
// backward pass starts from ȳ_i = 1, a constant buffer the host fills once.
#include "common.cuh"

// E_i = y_i + atomref[Z_i] + mean_per_atom (shift[Z] holds the last two), and E = Σ_i E_i:
// one block of 1024 threads, each summing a strided subset in order, then a fixed tree. For a
// batch (atomStart not null) one block per structure b sums its atoms [atomStart[b],
// atomStart[b + 1]) into total[b], in the order of the structure alone. statusIn (16 bytes:
// the neighbor list's edge counts and coincident pair), where given, is copied to statusOut, next
// to the results, so that one copy brings everything back to the host.
template <typename T>
PAINN_DEVICE void painn_readout_fwd_impl(int nAtoms, const int* __restrict__ atomStart, const int* __restrict__ z,
                                         const T* __restrict__ y, const double* __restrict__ shift,
                                         double* __restrict__ energies, double* __restrict__ total,
                                         const int* __restrict__ statusIn, int* __restrict__ statusOut) {
    __shared__ double acc[1024];
    int b = blockIdx.x;
    if (statusIn && b == 0 && threadIdx.x < 4) statusOut[threadIdx.x] = statusIn[threadIdx.x];
    int first = atomStart ? atomStart[b] : 0, end = atomStart ? atomStart[b + 1] : nAtoms;
    double s = 0;
    for (int i = first + threadIdx.x; i < end; i += blockDim.x) {
        double e = (double)y[i] + shift[z[i]];
        energies[i] = e;
        s += e;
    }
    acc[threadIdx.x] = s;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) acc[threadIdx.x] += acc[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) total[b] = acc[0];
}

#define READOUT_FWD_PARAMS(T) \
    (int nAtoms, const int* atomStart, const int* z, const T* y, const double* shift, double* energies, double* total, \
     const int* statusIn, int* statusOut)
PAINN_ENTRY(painn_readout_fwd, READOUT_FWD_PARAMS, (nAtoms, atomStart, z, y, shift, energies, total, statusIn, statusOut))
