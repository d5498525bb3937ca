// Stage 1: edge geometry + radial basis + cosine cutoff (derivation.md §2).
// Forward, one thread per edge: d, u, φ_k(d), φ'_k(d), fc(d), fc'(d) in one pass, because the
// derivatives share the transcendental functions. Backward: ∂E/∂r per edge (2.4), (2.5); then
// forces by a per-atom gather over the row and its reverse edges (7.1), and the virial (7.2) by
// a fixed-order two-stage reduction. No floating-point atomics anywhere: results are the same
// bit for bit on every run.
#include "geometry.cuh"

enum { BASIS_GAUSSIAN = 0, BASIS_BESSEL = 1 };

template <typename T>
PAINN_DEVICE void painn_radial_fwd_impl(int nAtoms, const int* __restrict__ rowStart,
                                        const int* __restrict__ center, const int* __restrict__ neighbor,
                                        const int* __restrict__ image, const double* __restrict__ pos,
                                        const double* __restrict__ cell, int K, int basis, double rc,
                                        const T* __restrict__ mu, const T* __restrict__ sigma,
                                        T* __restrict__ dOut, T* __restrict__ u, T* __restrict__ phi,
                                        T* __restrict__ dphi, T* __restrict__ fc, T* __restrict__ dfc) {
    int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= rowStart[nAtoms]) return;
    double r[3];
    edge_vector(pos, cell, center[e], neighbor[e], image[3 * e], image[3 * e + 1], image[3 * e + 2], r);
    double dd = sqrt(norm_squared(r));
    dOut[e] = (T)dd;
    for (int c = 0; c < 3; c++) u[3 * e + c] = (T)(r[c] / dd);
    T d = (T)dd;
    for (int k = 0; k < K; k++) {
        T p, dp;
        if (basis == BASIS_GAUSSIAN) {
            T s = sigma[k];
            T diff = d - mu[k];
            p = painn_exp(-diff * diff / (T(2) * s * s));
            dp = -diff / (s * s) * p;
        } else {
            T w = mu[k];  // the bessel frequencies travel in the same slot as the gaussian centres
            T sn, cs;
            painn_sincos(w * d, &sn, &cs);
            p = sn / d;
            dp = (w * cs - p) / d;
        }
        phi[e * K + k] = p;
        dphi[e * K + k] = dp;
    }
    T a = T(3.14159265358979323846) / (T)rc;
    T f = T(0), df = T(0);
    if (dd < rc) {
        T sn, cs;
        painn_sincos(a * d, &sn, &cs);
        f = T(0.5) * (cs + T(1));
        df = T(-0.5) * a * sn;
    }
    fc[e] = f;
    dfc[e] = df;
}

#define RADIAL_FWD_PARAMS(T)                                                                       \
    (int nAtoms, const int* rowStart, const int* center, const int* neighbor, const int* image,   \
     const double* pos, const double* cell, int K, int basis, double rc, const T* mu,             \
     const T* sigma, T* d, T* u, T* phi, T* dphi, T* fc, T* dfc)
PAINN_ENTRY(painn_radial_fwd, RADIAL_FWD_PARAMS,
            (nAtoms, rowStart, center, neighbor, image, pos, cell, K, basis, rc, mu, sigma, d, u, phi, dphi, fc, dfc))

// ∂E/∂r_e = gd·u + (gu − (gu·u) u)/d with gd = Σ_k gφ_k φ'_k + gfc·fc'.
template <typename T>
PAINN_DEVICE void painn_radial_bwd_impl(int nAtoms, const int* __restrict__ rowStart, int K,
                                        const T* __restrict__ d, const T* __restrict__ u,
                                        const T* __restrict__ dphi, const T* __restrict__ dfc,
                                        const T* __restrict__ gPhi, const T* __restrict__ gFc,
                                        const T* __restrict__ gU, T* __restrict__ gr) {
    int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= rowStart[nAtoms]) return;
    T gd = gFc[e] * dfc[e];
    for (int k = 0; k < K; k++) gd += gPhi[e * K + k] * dphi[e * K + k];
    T ux = u[3 * e], uy = u[3 * e + 1], uz = u[3 * e + 2];
    T gx = gU[3 * e], gy = gU[3 * e + 1], gz = gU[3 * e + 2];
    T dot = gx * ux + gy * uy + gz * uz;
    T inv = T(1) / d[e];
    gr[3 * e] = gd * ux + (gx - dot * ux) * inv;
    gr[3 * e + 1] = gd * uy + (gy - dot * uy) * inv;
    gr[3 * e + 2] = gd * uz + (gz - dot * uz) * inv;
}

#define RADIAL_BWD_PARAMS(T)                                                                      \
    (int nAtoms, const int* rowStart, int K, const T* d, const T* u, const T* dphi, const T* dfc, \
     const T* gPhi, const T* gFc, const T* gU, T* gr)
PAINN_ENTRY(painn_radial_bwd, RADIAL_BWD_PARAMS, (nAtoms, rowStart, K, d, u, dphi, dfc, gPhi, gFc, gU, gr))

// F_i = Σ_{e in row i} ∂E/∂r_e − Σ_{e in row i} ∂E/∂r_rev(e): a gather, so each atom's sum runs in
// one fixed order. Accumulated in float64, returned in float64.
template <typename T>
PAINN_DEVICE void painn_forces_impl(int nAtoms, const int* __restrict__ rowStart,
                                    const int* __restrict__ reverse, const T* __restrict__ gr,
                                    double* __restrict__ forces) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nAtoms) return;
    double f[3] = {0, 0, 0};
    for (int e = rowStart[i]; e < rowStart[i + 1]; e++) {
        int r = reverse[e];
        for (int c = 0; c < 3; c++) f[c] += (double)gr[3 * e + c] - (double)gr[3 * r + c];
    }
    for (int c = 0; c < 3; c++) forces[3 * i + c] = f[c];
}

#define FORCES_PARAMS(T) (int nAtoms, const int* rowStart, const int* reverse, const T* gr, double* forces)
PAINN_ENTRY(painn_forces, FORCES_PARAMS, (nAtoms, rowStart, reverse, gr, forces))

// Virial W_ab = Σ_e r_ea ∂E/∂r_eb, stage 1: block b sums a fixed slice of edges (each thread a
// strided subset, then a fixed tree), writing partial[b][9]. Launch with VIRIAL_THREADS threads.
#define VIRIAL_THREADS 256
template <typename T>
PAINN_DEVICE void painn_virial_impl(int nAtoms, const int* __restrict__ rowStart,
                                    const int* __restrict__ center, const int* __restrict__ neighbor,
                                    const int* __restrict__ image, const double* __restrict__ pos,
                                    const double* __restrict__ cell, const T* __restrict__ gr,
                                    double* __restrict__ partial) {
    __shared__ double acc[9][VIRIAL_THREADS];
    int edges = rowStart[nAtoms];
    double w[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < edges; e += gridDim.x * blockDim.x) {
        double r[3];
        edge_vector(pos, cell, center[e], neighbor[e], image[3 * e], image[3 * e + 1], image[3 * e + 2], r);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) w[3 * a + b] += r[a] * (double)gr[3 * e + b];
    }
    for (int k = 0; k < 9; k++) acc[k][threadIdx.x] = w[k];
    __syncthreads();
    for (int stride = VIRIAL_THREADS / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride)
            for (int k = 0; k < 9; k++) acc[k][threadIdx.x] += acc[k][threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x < 9) partial[9 * blockIdx.x + threadIdx.x] = acc[threadIdx.x][0];
}

#define VIRIAL_PARAMS(T)                                                                          \
    (int nAtoms, const int* rowStart, const int* center, const int* neighbor, const int* image,  \
     const double* pos, const double* cell, const T* gr, double* partial)
PAINN_ENTRY(painn_virial, VIRIAL_PARAMS, (nAtoms, rowStart, center, neighbor, image, pos, cell, gr, partial))

// Stage 2 of a fixed-order reduction: out[k] = Σ_b partial[b][k], b in order; one thread per k.
extern "C" __global__ void painn_sum_columns(int rows, int cols, const double* __restrict__ partial,
                                             double* __restrict__ out) {
    int k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= cols) return;
    double s = 0;
    for (int b = 0; b < rows; b++) s += partial[b * cols + k];
    out[k] = s;
}
