// Layer 0's message by elements (derivation.md §4b), for structures on the tiled GEMMs.
//
// In layer 0, x_j depends on the element of j alone and v = 0, so that
//   s'_i = s⁰_i + Σ_e fc_e Σ_k φ̃_ek w^a_k ⊙ x^a(Z_j),   v'_ic = Σ_e fc_e u_ec Σ_k φ̃_ek w^b_k ⊙ x^b(Z_j)
// (φ̃ = φ with a constant 1 appended for the bias) factors through per-element radial sums:
//   P[i][z, k] = Σ_{e: Z_j = z} fc_e φ̃_ek,   Q[i, c][z, k] = Σ_{e: Z_j = z} fc_e φ̃_ek u_ec,
//   s' = P·Ma, v' = Q·Mb,   Ma[z, k][f] = w^a_fk x^a(z)_f,   Mb likewise,
// with one more column per element, one-hot in P, whose Ma row is the embedding: s⁰ comes out of
// the same product. Per edge that is K + 1 sums instead of 2F·K filter products; the products
// are two GEMMs (dense.cu), and the backward pass is two more, RA = s̄'·Maᵀ, RB = v̄'·Mbᵀ, and one
// pass over the edges with K + 1 terms each:
//   A_k = RA[i][z, k] + Σ_c u_ec RB[i, c][z, k]
//   ∂E/∂d_e  = Σ_k A_k (fc'_e φ̃_ek + fc_e φ̃'_ek),   ∂E/∂u_ec = fc_e Σ_k φ̃_ek RB[i, c][z, k].
//
// Columns: z·K1 + k (K1 = K + 1) for the z-th element of the structure (ascending atomic
// number), then nE one-hot columns, then zeros up to the width L (a multiple of 4, for the
// pipelined GEMMs). An element absent from a structure contributes exact zeros, so a structure
// gets the same bits alone and in a batch with more elements. Every sum runs in a fixed order
// (over a row's edges, over k), with no atomics.
#include "common.cuh"

#define ELEMENT_MAX 8
#define ELEMENT_WARPS 4

// Ma and Mb (L × F each) for the structure's elements, and their transposes (F × L), which the
// backward products read as stored (the GEMMs' faster form for B, copied by cp.async); one
// thread per (column, feature).
template <typename T>
PAINN_DEVICE void painn_element_weights_impl(int F, int K, int nE, int L, const int* __restrict__ elements,
                                             const T* __restrict__ W, const T* __restrict__ bias, int row0,
                                             const T* __restrict__ xTable, const T* __restrict__ embedding,
                                             T* __restrict__ ma, T* __restrict__ mb, T* __restrict__ maT,
                                             T* __restrict__ mbT) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= L * F) return;
    int q = t / F, f = t - q * F;
    int K1 = K + 1;
    T a = 0, b = 0;
    if (q < nE * K1) {
        int z = q / K1, k = q - z * K1;
        const T* x = xTable + (size_t)elements[z] * 3 * F;
        T wa = k < K ? W[(size_t)(row0 + f) * K + k] : bias[row0 + f];
        T wb = k < K ? W[(size_t)(row0 + F + f) * K + k] : bias[row0 + F + f];
        a = wa * x[f];
        b = wb * x[F + f];
    } else if (q < nE * K1 + nE) {
        a = embedding[(size_t)elements[q - nE * K1] * F + f];
    }
    ma[t] = a;
    mb[t] = b;
    maT[(size_t)f * L + q] = a;
    mbT[(size_t)f * L + q] = b;
}

#define ELEMENT_WEIGHTS_PARAMS(T)                                                                    \
    (int F, int K, int nE, int L, const int* elements, const T* W, const T* bias, int row0, const T* xTable, \
     const T* embedding, T* ma, T* mb, T* maT, T* mbT)
PAINN_ENTRY(painn_element_weights, ELEMENT_WEIGHTS_PARAMS,
            (F, K, nE, L, elements, W, bias, row0, xTable, embedding, ma, mb, maT, mbT))

// P (n × L) and Q (3n × L). Each lane owns column k of every element's sums, in shared memory
// (an edge's element is known only once its neighbor is), so no two lanes touch one value; a
// register array picked by a uniform branch per edge measured slower (110 against 88 µs at
// 16,384 atoms). The row is read 32 edges at a time, lane l loading edge l's neighbor, element
// and scalars, handed to every lane by shuffles, and each lane loading its φ of all 32 at once:
// the loop over the edges then waits on no load.
template <typename T>
PAINN_DEVICE void painn_element_sums_impl(int n, int K, int nE, int L, const int* __restrict__ rowStart,
                                          const int* __restrict__ neighbor, const int* __restrict__ slot,
                                          const T* __restrict__ phi, const T* __restrict__ fc,
                                          const T* __restrict__ u, T* __restrict__ P, T* __restrict__ Q) {
    __shared__ T acc[ELEMENT_WARPS][ELEMENT_MAX][4][32];
    constexpr unsigned ALL = 0xffffffffu;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int i = blockIdx.x * ELEMENT_WARPS + warp;
    if (i >= n) return;
    int K1 = K + 1;
    int e0 = rowStart[i], e1 = rowStart[i + 1];
    T(*a)[4][32] = acc[warp];
    for (int k0 = 0; k0 < K1; k0 += 32) {
        int k = k0 + lane;
        for (int z = 0; z < nE; z++)
#pragma unroll
            for (int c = 0; c < 4; c++) a[z][c][lane] = T(0);
        for (int c0 = e0; c0 < e1; c0 += 32) {
            int cnt = min(32, e1 - c0), el = c0 + lane;
            int zl = 0;
            T fl = 0, ul0 = 0, ul1 = 0, ul2 = 0;
            if (lane < cnt) {
                zl = slot[neighbor[el]];
                fl = fc[el];
                ul0 = u[3 * el];
                ul1 = u[3 * el + 1];
                ul2 = u[3 * el + 2];
            }
            // the lane's φ of every edge of the chunk, all loads issued before the first is used
            T ph[32];
#pragma unroll
            for (int q = 0; q < 32; q++) ph[q] = q < cnt && k < K ? phi[(size_t)(c0 + q) * K + k] : T(1);
#pragma unroll
            for (int q = 0; q < 32; q++) {
                if (q >= cnt) break;
                int z = __shfl_sync(ALL, zl, q);
                T f = __shfl_sync(ALL, fl, q), u0 = __shfl_sync(ALL, ul0, q), u1 = __shfl_sync(ALL, ul1, q),
                  u2 = __shfl_sync(ALL, ul2, q);
                if (k < K1) {
                    T w = f * ph[q];
                    a[z][0][lane] += w;
                    a[z][1][lane] += w * u0;
                    a[z][2][lane] += w * u1;
                    a[z][3][lane] += w * u2;
                }
            }
        }
        if (k < K1) {
            for (int z = 0; z < nE; z++) {
                size_t q = (size_t)z * K1 + k;
                P[(size_t)i * L + q] = a[z][0][lane];
#pragma unroll
                for (int c = 0; c < 3; c++) Q[((size_t)i * 3 + c) * L + q] = a[z][1 + c][lane];
            }
        }
    }
    int own = slot[i];
    for (int q = nE * K1 + lane; q < L; q += 32) {
        P[(size_t)i * L + q] = q - nE * K1 == own ? T(1) : T(0);
#pragma unroll
        for (int c = 0; c < 3; c++) Q[((size_t)i * 3 + c) * L + q] = T(0);
    }
}

#define ELEMENT_SUMS_PARAMS(T)                                                                        \
    (int n, int K, int nE, int L, const int* rowStart, const int* neighbor, const int* slot, const T* phi, \
     const T* fc, const T* u, T* P, T* Q)
PAINN_ENTRY(painn_element_sums, ELEMENT_SUMS_PARAMS, (n, K, nE, L, rowStart, neighbor, slot, phi, fc, u, P, Q))

// ∂E/∂d and ∂E/∂u of every edge from RA (n × L) and RB (3n × L): one thread per edge, its K + 1
// terms summed in k order, so that no reduction is needed and every load of the loop is known
// once the edge's element is. The grid covers the edge capacity; threads past the list's end
// (rowStart[n]) return. `first` writes instead of adding (layer 0 is the last layer the backward
// pass visits, the first only for one-layer models).
template <typename T>
PAINN_DEVICE void painn_element_bwd_impl(int n, int K, int nE, int L, const int* __restrict__ rowStart,
                                         const int* __restrict__ center, const int* __restrict__ neighbor,
                                         const int* __restrict__ slot, const T* __restrict__ phi,
                                         const T* __restrict__ dphi, const T* __restrict__ fc,
                                         const T* __restrict__ dfc, const T* __restrict__ u,
                                         const T* __restrict__ RA, const T* __restrict__ RB, int first,
                                         T* __restrict__ gd, T* __restrict__ gU) {
    int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= rowStart[n]) return;
    int K1 = K + 1;
    int i = center[e];
    int base = slot[neighbor[e]] * K1;
    const T* ra = RA + (size_t)i * L + base;
    const T* rb0 = RB + (size_t)i * 3 * L + base;
    const T* rb1 = rb0 + L;
    const T* rb2 = rb1 + L;
    const T* p = phi + (size_t)e * K;
    const T* dp = dphi + (size_t)e * K;
    T fce = fc[e], dfce = dfc[e];
    T u0 = u[3 * e], u1 = u[3 * e + 1], u2 = u[3 * e + 2];
    T sd = 0, s0 = 0, s1 = 0, s2 = 0;
#pragma unroll 4
    for (int k = 0; k < K; k++) {
        T b0 = rb0[k], b1 = rb1[k], b2 = rb2[k];
        T A = ra[k] + u0 * b0 + u1 * b1 + u2 * b2;
        T fp = fce * p[k];
        sd += A * (dfce * p[k] + fce * dp[k]);
        s0 += fp * b0;
        s1 += fp * b1;
        s2 += fp * b2;
    }
    // the bias column: φ̃ = 1, φ̃' = 0
    T b0 = rb0[K], b1 = rb1[K], b2 = rb2[K];
    T A = ra[K] + u0 * b0 + u1 * b1 + u2 * b2;
    sd += A * dfce;
    s0 += fce * b0;
    s1 += fce * b1;
    s2 += fce * b2;
    gd[e] = first ? sd : gd[e] + sd;
    gU[3 * e] = first ? s0 : gU[3 * e] + s0;
    gU[3 * e + 1] = first ? s1 : gU[3 * e + 1] + s1;
    gU[3 * e + 2] = first ? s2 : gU[3 * e + 2] + s2;
}

#define ELEMENT_BWD_PARAMS(T)                                                                            \
    (int n, int K, int nE, int L, const int* rowStart, const int* center, const int* neighbor, const int* slot, \
     const T* phi, const T* dphi, const T* fc, const T* dfc, const T* u, const T* RA, const T* RB, int first,   \
     T* gd, T* gU)
PAINN_ENTRY(painn_element_bwd, ELEMENT_BWD_PARAMS,
            (n, K, nE, L, rowStart, center, neighbor, slot, phi, dphi, fc, dfc, u, RA, RB, first, gd, gU))
