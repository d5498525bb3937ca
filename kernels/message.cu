// Stage 2+3: filter + message + aggregation, fused (derivation.md §3, §4).
// W_ij is formed inside the kernels from the K radial values (3F·K filter weights per thread in
// registers) and never stored as an [E, 3F·L] tensor. One block per atom, one thread per
// feature f (blockDim ≥ F, at most 1024). Sums run over the atom's CSR row in its fixed
// order; nothing is accumulated with atomics, so results are the same bit for bit every run.
//
//   forward   s'_i = s_i + Σ_e a_e,  v'_ic = v_ic + Σ_e (b_e u_ec + c_e v_jc)
//   backward  kernel A (painn_message_bwd_edge, per center i): for each edge of row i, the
//             edge's share of ∂E/∂φ, ∂E/∂fc (3.2), (3.3) and ∂E/∂u (4.6), reduced over features
//             in a fixed tree and added to per-edge accumulators that the layers share;
//             kernel B (painn_message_bwd_atom, per neighbor j): (4.5) and (4.8), gathered over
//             the reverse edges of row j instead of scattered into j.
#include "common.cuh"

// Filter weights of feature f for the three blocks (a, b, c) of one layer, in registers.
template <typename T, int KMAX>
struct FilterRows {
    T wa[KMAX], wb[KMAX], wc[KMAX];
    T ba, bb, bc;

    PAINN_DEVICE void load(const T* __restrict__ W, const T* __restrict__ bias, int row0, int F, int K, int f,
                           bool active) {
#pragma unroll
        for (int k = 0; k < KMAX; k++) {
            bool in = active && k < K;
            wa[k] = in ? W[(row0 + f) * K + k] : T(0);
            wb[k] = in ? W[(row0 + F + f) * K + k] : T(0);
            wc[k] = in ? W[(row0 + 2 * F + f) * K + k] : T(0);
        }
        ba = active ? bias[row0 + f] : T(0);
        bb = active ? bias[row0 + F + f] : T(0);
        bc = active ? bias[row0 + 2 * F + f] : T(0);
    }

    // pre = φ_e·W_fᵀ + b_f for the three blocks (before the cutoff factor).
    PAINN_DEVICE void pre(const T* __restrict__ phiE, int K, T& pa, T& pb, T& pc) const {
        pa = ba;
        pb = bb;
        pc = bc;
#pragma unroll
        for (int k = 0; k < KMAX; k++) {
            if (k < K) {
                T p = phiE[k];
                pa += p * wa[k];
                pb += p * wb[k];
                pc += p * wc[k];
            }
        }
    }
};

template <typename T, int KMAX>
PAINN_DEVICE void painn_message_fwd_impl(int nAtoms, int F, int K, const int* __restrict__ rowStart,
                                         const int* __restrict__ neighbor, const T* __restrict__ W,
                                         const T* __restrict__ bias, int row0, const T* __restrict__ phi,
                                         const T* __restrict__ fc, const T* __restrict__ u,
                                         const T* __restrict__ x, const T* __restrict__ s,
                                         const T* __restrict__ v, T* __restrict__ sOut, T* __restrict__ vOut) {
    int i = blockIdx.x;
    if (i >= nAtoms) return;
    int f = threadIdx.x;
    bool active = f < F;
    FilterRows<T, KMAX> w;
    w.load(W, bias, row0, F, K, f, active);
    if (!active) return;
    T sAcc = 0, v0 = 0, v1 = 0, v2 = 0;
    int F3 = 3 * F;
    for (int e = rowStart[i]; e < rowStart[i + 1]; e++) {
        int j = neighbor[e];
        T pa, pb, pc;
        w.pre(phi + (size_t)e * K, K, pa, pb, pc);
        T fce = fc[e];
        T a = pa * fce * x[(size_t)j * F3 + f];
        T b = pb * fce * x[(size_t)j * F3 + F + f];
        T c = pc * fce * x[(size_t)j * F3 + 2 * F + f];
        sAcc += a;
        v0 += b * u[3 * e] + c * v[((size_t)j * 3 + 0) * F + f];
        v1 += b * u[3 * e + 1] + c * v[((size_t)j * 3 + 1) * F + f];
        v2 += b * u[3 * e + 2] + c * v[((size_t)j * 3 + 2) * F + f];
    }
    sOut[(size_t)i * F + f] = s[(size_t)i * F + f] + sAcc;
    vOut[((size_t)i * 3 + 0) * F + f] = v[((size_t)i * 3 + 0) * F + f] + v0;
    vOut[((size_t)i * 3 + 1) * F + f] = v[((size_t)i * 3 + 1) * F + f] + v1;
    vOut[((size_t)i * 3 + 2) * F + f] = v[((size_t)i * 3 + 2) * F + f] + v2;
}

#define MESSAGE_FWD_PARAMS(T)                                                                    \
    (int nAtoms, int F, int K, const int* rowStart, const int* neighbor, const T* W, const T* bias, \
     int row0, const T* phi, const T* fc, const T* u, const T* x, const T* s, const T* v, T* sOut, \
     T* vOut)
#define MESSAGE_FWD_ARGS (nAtoms, F, K, rowStart, neighbor, W, bias, row0, phi, fc, u, x, s, v, sOut, vOut)
PAINN_ENTRY_K(painn_message_fwd, 8, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 16, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 24, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 32, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)

// Kernel A. Per edge e = (i, j) of row i, with ā = s̄'_i, b̄ = Σ_c v̄'_ic u_ec, c̄ = Σ_c v̄'_ic v_jc:
//   W̄ = (ā x^a_j, b̄ x^b_j, c̄ x^c_j)                      (4.7)
//   gφ_ek += fc_e Σ_o W̄_o W_f[o,k]                         (3.2)
//   gfc_e += Σ_o W̄_o pre_o                                (3.3)
//   gu_ec += Σ_f v̄'_icf (pre_b fc_e)_f x^b_jf               (4.6)
// The K+4 sums over features are reduced per warp by shuffles, then across warps in order.
template <typename T, int KMAX>
PAINN_DEVICE void painn_message_bwd_edge_impl(int nAtoms, int F, int K, const int* __restrict__ rowStart,
                                              const int* __restrict__ neighbor, const T* __restrict__ W,
                                              const T* __restrict__ bias, int row0, const T* __restrict__ phi,
                                              const T* __restrict__ fc, const T* __restrict__ u,
                                              const T* __restrict__ x, const T* __restrict__ v,
                                              const T* __restrict__ gsOut, const T* __restrict__ gvOut,
                                              T* __restrict__ gPhi, T* __restrict__ gFc, T* __restrict__ gU) {
    __shared__ T red[32][KMAX + 4];
    int i = blockIdx.x;
    if (i >= nAtoms) return;
    int f = threadIdx.x;
    int lane = f & 31, warp = f >> 5, warps = (blockDim.x + 31) >> 5;
    bool active = f < F;
    FilterRows<T, KMAX> w;
    w.load(W, bias, row0, F, K, f, active);
    int F3 = 3 * F;
    T gs = active ? gsOut[(size_t)i * F + f] : T(0);
    T g0 = active ? gvOut[((size_t)i * 3 + 0) * F + f] : T(0);
    T g1 = active ? gvOut[((size_t)i * 3 + 1) * F + f] : T(0);
    T g2 = active ? gvOut[((size_t)i * 3 + 2) * F + f] : T(0);
    for (int e = rowStart[i]; e < rowStart[i + 1]; e++) {
        int j = neighbor[e];
        T fce = fc[e];
        T ux = u[3 * e], uy = u[3 * e + 1], uz = u[3 * e + 2];
        T vals[KMAX + 4];
        if (active) {
            T pa, pb, pc;
            w.pre(phi + (size_t)e * K, K, pa, pb, pc);
            T xa = x[(size_t)j * F3 + f], xb = x[(size_t)j * F3 + F + f], xc = x[(size_t)j * F3 + 2 * F + f];
            T gb = g0 * ux + g1 * uy + g2 * uz;
            T gc = g0 * v[((size_t)j * 3 + 0) * F + f] + g1 * v[((size_t)j * 3 + 1) * F + f]
                 + g2 * v[((size_t)j * 3 + 2) * F + f];
            T gwa = gs * xa, gwb = gb * xb, gwc = gc * xc;
#pragma unroll
            for (int k = 0; k < KMAX; k++) vals[k] = fce * (gwa * w.wa[k] + gwb * w.wb[k] + gwc * w.wc[k]);
            vals[KMAX] = gwa * pa + gwb * pb + gwc * pc;
            T wbx = pb * fce * xb;
            vals[KMAX + 1] = g0 * wbx;
            vals[KMAX + 2] = g1 * wbx;
            vals[KMAX + 3] = g2 * wbx;
        } else {
#pragma unroll
            for (int k = 0; k < KMAX + 4; k++) vals[k] = T(0);
        }
#pragma unroll
        for (int k = 0; k < KMAX + 4; k++) {
            if (k < K || k >= KMAX) {
                T t = warp_sum(vals[k]);
                if (lane == 0) red[warp][k] = t;
            }
        }
        __syncthreads();
        if (f < KMAX + 4 && (f < K || f >= KMAX)) {
            T t = 0;
            for (int q = 0; q < warps; q++) t += red[q][f];
            if (f < K) gPhi[(size_t)e * K + f] += t;
            else if (f == KMAX) gFc[e] += t;
            else gU[3 * e + (f - KMAX - 1)] += t;
        }
        __syncthreads();
    }
}

#define MESSAGE_BWD_EDGE_PARAMS(T)                                                               \
    (int nAtoms, int F, int K, const int* rowStart, const int* neighbor, const T* W, const T* bias, \
     int row0, const T* phi, const T* fc, const T* u, const T* x, const T* v, const T* gsOut,       \
     const T* gvOut, T* gPhi, T* gFc, T* gU)
#define MESSAGE_BWD_EDGE_ARGS (nAtoms, F, K, rowStart, neighbor, W, bias, row0, phi, fc, u, x, v, gsOut, gvOut, gPhi, gFc, gU)
PAINN_ENTRY_K(painn_message_bwd_edge, 8, MESSAGE_BWD_EDGE_PARAMS, MESSAGE_BWD_EDGE_ARGS)
PAINN_ENTRY_K(painn_message_bwd_edge, 16, MESSAGE_BWD_EDGE_PARAMS, MESSAGE_BWD_EDGE_ARGS)
PAINN_ENTRY_K(painn_message_bwd_edge, 24, MESSAGE_BWD_EDGE_PARAMS, MESSAGE_BWD_EDGE_ARGS)
PAINN_ENTRY_K(painn_message_bwd_edge, 32, MESSAGE_BWD_EDGE_PARAMS, MESSAGE_BWD_EDGE_ARGS)

// Kernel B. Atom j gathers what the forward pass sent from it, over its own row: for e' = (j, i)
// the forward edge is e = rev(e') = (i, j), with W_e = W_e' (W depends on d alone) and
// u_e = −u_e'. Then
//   v̄_jc = v̄'_jc + Σ_e' v̄'_ic W^c x^c_j                                   (4.1), (4.5)
//   x̄_j = Σ_e' (s̄'_i W^a, b̄_e W^b, c̄_e W^c),  b̄_e = −Σ_c v̄'_ic u_e'c,  c̄_e = Σ_c v̄'_ic v_jc   (4.8)
template <typename T, int KMAX>
PAINN_DEVICE void painn_message_bwd_atom_impl(int nAtoms, int F, int K, const int* __restrict__ rowStart,
                                              const int* __restrict__ neighbor, const T* __restrict__ W,
                                              const T* __restrict__ bias, int row0, const T* __restrict__ phi,
                                              const T* __restrict__ fc, const T* __restrict__ u,
                                              const T* __restrict__ x, const T* __restrict__ v,
                                              const T* __restrict__ gsOut, const T* __restrict__ gvOut,
                                              T* __restrict__ gv, T* __restrict__ gx) {
    int j = blockIdx.x;
    if (j >= nAtoms) return;
    int f = threadIdx.x;
    bool active = f < F;
    FilterRows<T, KMAX> w;
    w.load(W, bias, row0, F, K, f, active);
    if (!active) return;
    int F3 = 3 * F;
    T xc = x[(size_t)j * F3 + 2 * F + f];
    T vj0 = v[((size_t)j * 3 + 0) * F + f], vj1 = v[((size_t)j * 3 + 1) * F + f], vj2 = v[((size_t)j * 3 + 2) * F + f];
    T a0 = 0, a1 = 0, a2 = 0, gxa = 0, gxb = 0, gxc = 0;
    for (int e = rowStart[j]; e < rowStart[j + 1]; e++) {
        int i = neighbor[e];
        T pa, pb, pc;
        w.pre(phi + (size_t)e * K, K, pa, pb, pc);
        T fce = fc[e];
        T wa = pa * fce, wb = pb * fce, wc = pc * fce;
        T ga = gsOut[(size_t)i * F + f];
        T g0 = gvOut[((size_t)i * 3 + 0) * F + f], g1 = gvOut[((size_t)i * 3 + 1) * F + f],
          g2 = gvOut[((size_t)i * 3 + 2) * F + f];
        T gb = -(g0 * u[3 * e] + g1 * u[3 * e + 1] + g2 * u[3 * e + 2]);
        T gc = g0 * vj0 + g1 * vj1 + g2 * vj2;
        T wcx = wc * xc;
        a0 += g0 * wcx;
        a1 += g1 * wcx;
        a2 += g2 * wcx;
        gxa += ga * wa;
        gxb += gb * wb;
        gxc += gc * wc;
    }
    gv[((size_t)j * 3 + 0) * F + f] = gvOut[((size_t)j * 3 + 0) * F + f] + a0;
    gv[((size_t)j * 3 + 1) * F + f] = gvOut[((size_t)j * 3 + 1) * F + f] + a1;
    gv[((size_t)j * 3 + 2) * F + f] = gvOut[((size_t)j * 3 + 2) * F + f] + a2;
    gx[(size_t)j * F3 + f] = gxa;
    gx[(size_t)j * F3 + F + f] = gxb;
    gx[(size_t)j * F3 + 2 * F + f] = gxc;
}

#define MESSAGE_BWD_ATOM_PARAMS(T)                                                               \
    (int nAtoms, int F, int K, const int* rowStart, const int* neighbor, const T* W, const T* bias, \
     int row0, const T* phi, const T* fc, const T* u, const T* x, const T* v, const T* gsOut,       \
     const T* gvOut, T* gv, T* gx)
#define MESSAGE_BWD_ATOM_ARGS (nAtoms, F, K, rowStart, neighbor, W, bias, row0, phi, fc, u, x, v, gsOut, gvOut, gv, gx)
PAINN_ENTRY_K(painn_message_bwd_atom, 8, MESSAGE_BWD_ATOM_PARAMS, MESSAGE_BWD_ATOM_ARGS)
PAINN_ENTRY_K(painn_message_bwd_atom, 16, MESSAGE_BWD_ATOM_PARAMS, MESSAGE_BWD_ATOM_ARGS)
PAINN_ENTRY_K(painn_message_bwd_atom, 24, MESSAGE_BWD_ATOM_PARAMS, MESSAGE_BWD_ATOM_ARGS)
PAINN_ENTRY_K(painn_message_bwd_atom, 32, MESSAGE_BWD_ATOM_PARAMS, MESSAGE_BWD_ATOM_ARGS)
