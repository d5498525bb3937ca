// Stage 1: edge geometry + radial basis + cosine cutoff (derivation.md §2).
// Forward, one thread per edge: d, u, φ_k(d), φ'_k(d), fc(d), fc'(d) in one pass, because the
// derivatives share the transcendental functions. Backward: the message kernels deliver ∂E/∂d
// and ∂E/∂u per edge; painn_forces turns them into ∂E/∂r (2.5), gathers the forces over each
// row and its reverse edges (7.1) and sums the virial (7.2) in a fixed order. No floating-point
// atomics anywhere: results are the same bit for bit on every run.
//
// A batch of structures is one list over all their atoms (no edge joins two structures): each
// structure has its own lattice (atomStructure gives an atom's structure, null: one structure),
// and its force blocks and virial partial sums are its own, so that its virial is summed in the
// order it is summed alone.
#include "geometry.cuh"
#include "radial.cuh"

// One block of RADIAL_EDGES threads handles that many edges; the K values of each edge are
// staged in shared memory and written out as one contiguous run, so the writes coalesce.
#define RADIAL_EDGES 64
#define RADIAL_KMAX 32

template <typename T>
PAINN_DEVICE void painn_radial_fwd_impl(int nAtoms, const int* __restrict__ rowStart,
                                        const int* __restrict__ center, const int* __restrict__ neighbor,
                                        const int* __restrict__ image, const double* __restrict__ pos,
                                        const double* __restrict__ cells, const int* __restrict__ atomStructure,
                                        int K, int basis, double rc,
                                        const T* __restrict__ mu, const T* __restrict__ sigma,
                                        T* __restrict__ dOut, T* __restrict__ u, T* __restrict__ phi,
                                        T* __restrict__ dphi, T* __restrict__ fc, T* __restrict__ dfc) {
    __shared__ T tile[2][RADIAL_EDGES * RADIAL_KMAX];
    int edges = rowStart[nAtoms];
    int e0 = blockIdx.x * RADIAL_EDGES;
    if (e0 >= edges) return;
    int q = threadIdx.x;
    int e = e0 + q;
    if (e < edges) {
        double r[3];
        int i = center[e];
        const double* cell = atomStructure ? cells + 9 * atomStructure[i] : cells;
        edge_vector(pos, cell, i, neighbor[e], image[3 * e], image[3 * e + 1], image[3 * e + 2], r);
        double dd = sqrt(norm_squared(r));
        dOut[e] = (T)dd;
        for (int c = 0; c < 3; c++) u[3 * e + c] = (T)(r[c] / dd);
        T d = (T)dd;
        for (int k = 0; k < K; k++) {
            T p, dp;
            radial_basis<T>(basis, k, d, mu, sigma, p, dp);
            tile[0][q * K + k] = p;
            tile[1][q * K + k] = dp;
        }
        T f, df;
        cosine_cutoff<T>(dd, rc, f, df);
        fc[e] = f;
        dfc[e] = df;
    }
    __syncthreads();
    int count = min(RADIAL_EDGES, edges - e0) * K;
    for (int t = q; t < count; t += blockDim.x) {
        phi[(size_t)e0 * K + t] = tile[0][t];
        dphi[(size_t)e0 * K + t] = tile[1][t];
    }
}

#define RADIAL_FWD_PARAMS(T)                                                                       \
    (int nAtoms, const int* rowStart, const int* center, const int* neighbor, const int* image,   \
     const double* pos, const double* cells, const int* atomStructure, int K, int basis, double rc, \
     const T* mu, const T* sigma, T* d, T* u, T* phi, T* dphi, T* fc, T* dfc)
PAINN_ENTRY(painn_radial_fwd, RADIAL_FWD_PARAMS,
            (nAtoms, rowStart, center, neighbor, image, pos, cells, atomStructure, K, basis, rc, mu, sigma, d, u, phi,
             dphi, fc, dfc))

// ∂E/∂r_e = gd·u + (gu − (gu·u) u)/d                                                       (2.5)
template <typename T>
PAINN_DEVICE void edge_gradient(int e, const T* __restrict__ d, const T* __restrict__ u, const T* __restrict__ gd,
                                const T* __restrict__ gU, double g[3]) {
    double ux = u[3 * e], uy = u[3 * e + 1], uz = u[3 * e + 2];
    double gx = gU[3 * e], gy = gU[3 * e + 1], gz = gU[3 * e + 2];
    double dot = gx * ux + gy * uy + gz * uz;
    double inv = 1.0 / (double)d[e];
    double s = gd[e];
    g[0] = s * ux + (gx - dot * ux) * inv;
    g[1] = s * uy + (gy - dot * uy) * inv;
    g[2] = s * uz + (gz - dot * uz) * inv;
}

// The end of the backward pass, one warp per atom i, its lanes over the edges of its row: ∂E/∂r
// of each edge (2.5) and of its reverse, the force F_i = Σ_e ∂E/∂r_e − Σ_e ∂E/∂r_rev(e) (7.1) —
// a gather, no atomics — and the virial of the row's edges, Σ_e r_e ⊗ ∂E/∂r_e (7.2), reduced by
// fixed trees into partial[block][9] (painn_sum_columns finishes it). float64 sums.
// In a batch (atomStart not null) blockIdx.y is the structure: its atoms are
// [atomStart[y], atomStart[y + 1]), four to a block from its first, with lattice y, and its
// partial sums are rows [y·gridDim.x, (y + 1)·gridDim.x) (painn_sum_segments finishes them).
#define FORCES_THREADS 128
template <typename T>
PAINN_DEVICE void painn_forces_impl(int nAtoms, const int* __restrict__ atomStart,
                                    const int* __restrict__ rowStart, const int* __restrict__ center,
                                    const int* __restrict__ neighbor, const int* __restrict__ image,
                                    const int* __restrict__ reverse, const double* __restrict__ pos,
                                    const double* __restrict__ cells, const T* __restrict__ d,
                                    const T* __restrict__ u, const T* __restrict__ gd, const T* __restrict__ gU,
                                    double* __restrict__ forces, double* __restrict__ partial) {
    __shared__ double acc[FORCES_THREADS / 32][9];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int y = blockIdx.y;
    int first = atomStart ? atomStart[y] : 0, end = atomStart ? atomStart[y + 1] : nAtoms;
    const double* cell = cells + 9 * y;
    int i = first + blockIdx.x * (FORCES_THREADS / 32) + warp;
    double w[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    double f[3] = {0, 0, 0};
    if (i < end) {
        for (int e = rowStart[i] + lane; e < rowStart[i + 1]; e += 32) {
            double g[3], h[3], r[3];
            edge_gradient(e, d, u, gd, gU, g);
            edge_gradient(reverse[e], d, u, gd, gU, h);
            edge_vector(pos, cell, i, neighbor[e], image[3 * e], image[3 * e + 1], image[3 * e + 2], r);
            for (int c = 0; c < 3; c++) f[c] += g[c] - h[c];
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) w[3 * a + b] += r[a] * g[b];
        }
    }
    for (int c = 0; c < 3; c++) f[c] = warp_sum(f[c]);
    for (int k = 0; k < 9; k++) w[k] = warp_sum(w[k]);
    if (lane == 0) {
        if (i < end)
            for (int c = 0; c < 3; c++) forces[3 * i + c] = f[c];
        for (int k = 0; k < 9; k++) acc[warp][k] = w[k];
    }
    __syncthreads();
    if (threadIdx.x < 9) {
        double s = 0;
        for (int q = 0; q < FORCES_THREADS / 32; q++) s += acc[q][threadIdx.x];
        partial[9 * ((size_t)y * gridDim.x + blockIdx.x) + threadIdx.x] = s;
    }
}

#define FORCES_PARAMS(T)                                                                           \
    (int nAtoms, const int* atomStart, const int* rowStart, const int* center, const int* neighbor,  \
     const int* image, const int* reverse, const double* pos, const double* cells, const T* d,      \
     const T* u, const T* gd, const T* gU, double* forces, double* partial)
PAINN_ENTRY(painn_forces, FORCES_PARAMS,
            (nAtoms, atomStart, rowStart, center, neighbor, image, reverse, pos, cells, d, u, gd, gU, forces, partial))

// Stage 2 of a fixed-order reduction: out[k] = Σ_b partial[b][k]. One warp per column k: lane l
// sums rows l, l + 32, … in order, then a fixed shuffle tree. Launch with 32·cols threads.
PAINN_DEVICE void sum_columns(int rows, int cols, const double* __restrict__ partial, double* __restrict__ out) {
    int k = threadIdx.x >> 5, lane = threadIdx.x & 31;
    if (k >= cols) return;
    double s = 0;
    for (int b = lane; b < rows; b += 32) s += partial[(size_t)b * cols + k];
    s = warp_sum(s);
    if (lane == 0) out[k] = s;
}

extern "C" __global__ void painn_sum_columns(int rows, int cols, const double* __restrict__ partial,
                                             double* __restrict__ out) {
    painn_grid_dependency();
    sum_columns(rows, cols, partial, out);
}

// The same per structure of a batch, one block each: structure b's rows start at b·rowsPerSegment
// and are as many as its own force blocks (atomsPerRow atoms each, at least one), so that its sum
// runs over the rows, in the order, of the structure alone.
extern "C" __global__ void painn_sum_segments(int rowsPerSegment, int atomsPerRow, const int* __restrict__ atomStart,
                                              int cols, const double* __restrict__ partial, double* __restrict__ out) {
    painn_grid_dependency();
    int b = blockIdx.x;
    int n = atomStart[b + 1] - atomStart[b];
    int rows = max(1, (n + atomsPerRow - 1) / atomsPerRow);
    sum_columns(rows, cols, partial + (size_t)b * rowsPerSegment * cols, out + (size_t)b * cols);
}
