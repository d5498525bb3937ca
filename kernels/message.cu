// Stage 2+3: filter + message + aggregation, fused (derivation.md §3, §4).
// W_ij is formed inside the kernels from the K radial values (3F·K filter weights per thread in
// registers) and never stored as an [E, 3F·L] tensor. One block per atom, one thread per
// feature f (blockDim ≥ F, at most 256). A row's edges are staged in shared memory a chunk at a
// time (neighbor, φ, φ', fc, fc', u: one coalesced read, then broadcast reads). Sums run over
// the row in its fixed order and nothing is accumulated with atomics, so results are the same
// bit for bit every run.
//
//   painn_message_fwd   s'_i = s_i + Σ_e a_e,  v'_ic = v_ic + Σ_e (b_e u_ec + c_e v_jc)
//   painn_message_bwd   one pass over the row of atom a, W computed once per edge for both uses:
//     as the centre of e = (a, j): the edge's share of ∂E/∂d and ∂E/∂u, reduced over features
//       in a fixed tree and written per edge (∂E/∂d = Σ_o W̄_o ∂W_o/∂d folds (2.4), (3.2), (3.3));
//     as the neighbour of the reverse edge (j, a): (4.5) and (4.8) for atom a, gathered over its
//       own row instead of scattered into it.
// Layer 0 reads x and s through the atomic numbers (they depend on Z alone: per-element tables)
// and has v = 0; its backward needs no ∂E/∂v or ∂E/∂x (the embedding is not a function of
// the positions), which `atomGrads = 0` skips.
#include "common.cuh"

#define MSG_CHUNK 32

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

    // pre = φ·W_fᵀ + b_f for the three blocks (before the cutoff factor). φ is read from shared
    // memory four at a time; past K both φ (zero-padded) and the weights are zero.
    PAINN_DEVICE void pre(const T* phiE, T& pa, T& pb, T& pc) const {
        pa = ba;
        pb = bb;
        pc = bc;
#pragma unroll
        for (int k = 0; k < KMAX; k += 4) {
            T p[4];
            load4(phiE + k, p);
#pragma unroll
            for (int q = 0; q < 4; q++) {
                pa += p[q] * wa[k + q];
                pb += p[q] * wb[k + q];
                pc += p[q] * wc[k + q];
            }
        }
    }

    // and its derivative by d, φ'·W_fᵀ
    PAINN_DEVICE void dpre(const T* dphiE, T& da, T& db, T& dc) const {
        da = db = dc = T(0);
#pragma unroll
        for (int k = 0; k < KMAX; k += 4) {
            T p[4];
            load4(dphiE + k, p);
#pragma unroll
            for (int q = 0; q < 4; q++) {
                da += p[q] * wa[k + q];
                db += p[q] * wb[k + q];
                dc += p[q] * wc[k + q];
            }
        }
    }
};

// One chunk of a row's edges in shared memory; φ and φ' rows are padded with zeros to KMAX so
// that they can be read four at a time.
template <typename T, int KMAX>
struct __align__(16) EdgeChunk {
    int j[MSG_CHUNK];
    T fc[MSG_CHUNK];
    T dfc[MSG_CHUNK];
    T u[MSG_CHUNK][3];
    T phi[MSG_CHUNK][KMAX];
    T dphi[MSG_CHUNK][KMAX];

    PAINN_DEVICE void load(int e0, int cnt, int K, const int* __restrict__ neighbor, const T* __restrict__ phiG,
                           const T* __restrict__ dphiG, const T* __restrict__ fcG, const T* __restrict__ dfcG,
                           const T* __restrict__ uG) {
        int t0 = threadIdx.x, step = blockDim.x;
        for (int t = t0; t < cnt * K; t += step) phi[t / K][t % K] = phiG[(size_t)e0 * K + t];
        for (int t = t0; t < cnt * (KMAX - K); t += step) phi[t / (KMAX - K)][K + t % (KMAX - K)] = T(0);
        if (dphiG) {
            for (int t = t0; t < cnt * K; t += step) dphi[t / K][t % K] = dphiG[(size_t)e0 * K + t];
            for (int t = t0; t < cnt * (KMAX - K); t += step) dphi[t / (KMAX - K)][K + t % (KMAX - K)] = T(0);
        }
        for (int t = t0; t < cnt * 3; t += step) u[t / 3][t % 3] = uG[(size_t)e0 * 3 + t];
        for (int t = t0; t < cnt; t += step) {
            j[t] = neighbor[e0 + t];
            fc[t] = fcG[e0 + t];
            if (dfcG) dfc[t] = dfcG[e0 + t];
        }
    }
};

template <typename T, int KMAX>
PAINN_DEVICE void painn_message_fwd_impl(int nAtoms, int F, int K, const int* __restrict__ rowStart,
                                         const int* __restrict__ neighbor, const T* __restrict__ W,
                                         const T* __restrict__ bias, int row0, const T* __restrict__ phi,
                                         const T* __restrict__ fc, const T* __restrict__ u,
                                         const T* __restrict__ x, const int* __restrict__ xRows,
                                         const T* __restrict__ s, const int* __restrict__ sRows,
                                         const T* __restrict__ v, T* __restrict__ sOut, T* __restrict__ vOut) {
    __shared__ EdgeChunk<T, KMAX> ch;
    int i = blockIdx.x;
    if (i >= nAtoms) return;
    int f = threadIdx.x;
    bool active = f < F;
    FilterRows<T, KMAX> w;
    w.load(W, bias, row0, F, K, f, active);
    T sAcc = 0, v0 = 0, v1 = 0, v2 = 0;
    size_t F3 = 3 * (size_t)F;
    int begin = rowStart[i], end = rowStart[i + 1];
    for (int e0 = begin; e0 < end; e0 += MSG_CHUNK) {
        int cnt = min(MSG_CHUNK, end - e0);
        __syncthreads();
        ch.load(e0, cnt, K, neighbor, phi, nullptr, fc, nullptr, u);
        __syncthreads();
        if (!active) continue;
#pragma unroll 4
        for (int q = 0; q < cnt; q++) {
            int j = ch.j[q];
            size_t xr = xRows ? (size_t)xRows[j] : (size_t)j;
            T xa = x[xr * F3 + f], xb = x[xr * F3 + F + f], xc = x[xr * F3 + 2 * F + f];
            T vj0 = 0, vj1 = 0, vj2 = 0;
            if (v) {
                vj0 = v[((size_t)j * 3 + 0) * F + f];
                vj1 = v[((size_t)j * 3 + 1) * F + f];
                vj2 = v[((size_t)j * 3 + 2) * F + f];
            }
            T pa, pb, pc;
            w.pre(ch.phi[q], pa, pb, pc);
            T fce = ch.fc[q];
            T a = pa * fce * xa, b = pb * fce * xb, c = pc * fce * xc;
            sAcc += a;
            v0 += b * ch.u[q][0] + c * vj0;
            v1 += b * ch.u[q][1] + c * vj1;
            v2 += b * ch.u[q][2] + c * vj2;
        }
    }
    if (!active) return;
    size_t sr = sRows ? (size_t)sRows[i] : (size_t)i;
    sOut[(size_t)i * F + f] = s[sr * F + f] + sAcc;
    T vi0 = 0, vi1 = 0, vi2 = 0;
    if (v) {
        vi0 = v[((size_t)i * 3 + 0) * F + f];
        vi1 = v[((size_t)i * 3 + 1) * F + f];
        vi2 = v[((size_t)i * 3 + 2) * F + f];
    }
    vOut[((size_t)i * 3 + 0) * F + f] = vi0 + v0;
    vOut[((size_t)i * 3 + 1) * F + f] = vi1 + v1;
    vOut[((size_t)i * 3 + 2) * F + f] = vi2 + v2;
}

#define MESSAGE_FWD_PARAMS(T)                                                                      \
    (int nAtoms, int F, int K, const int* rowStart, const int* neighbor, const T* W, const T* bias,   \
     int row0, const T* phi, const T* fc, const T* u, const T* x, const int* xRows, const T* s,        \
     const int* sRows, const T* v, T* sOut, T* vOut)
#define MESSAGE_FWD_ARGS (nAtoms, F, K, rowStart, neighbor, W, bias, row0, phi, fc, u, x, xRows, s, sRows, v, sOut, vOut)
PAINN_ENTRY_K(painn_message_fwd, 8, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 16, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 24, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 32, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)

// The backward pass of one layer over the row of atom a.
//   For e = (a, j), with ā = s̄'_a, b̄ = Σ_c v̄'_ac u_ec, c̄ = Σ_c v̄'_ac v_jc:
//     W̄ = (ā x^a_j, b̄ x^b_j, c̄ x^c_j)                                          (4.7)
//     ∂E/∂d_e += Σ_o W̄_o (fc φ'·W_f[o] + fc' pre_o)                           (2.4), (3.2), (3.3)
//     ∂E/∂u_ec += Σ_f v̄'_acf W^b_f x^b_jf                                       (4.6)
//   For the reverse edge (j, a), whose W is the same and whose u is −u_e:
//     v̄_ac = v̄'_ac + Σ_e v̄'_jc W^c x^c_a                                        (4.1), (4.5)
//     x̄_a = Σ_e (s̄'_j W^a, −(Σ_c v̄'_jc u_ec) W^b, (Σ_c v̄'_jc v_ac) W^c)         (4.8)
// `first` writes the per-edge sums instead of adding to them (the first layer the backward
// pass visits), so no buffer needs clearing.
template <typename T, int KMAX>
PAINN_DEVICE void painn_message_bwd_impl(int nAtoms, int F, int K, const int* __restrict__ rowStart,
                                         const int* __restrict__ neighbor, const T* __restrict__ W,
                                         const T* __restrict__ bias, int row0, const T* __restrict__ phi,
                                         const T* __restrict__ dphi, const T* __restrict__ fc,
                                         const T* __restrict__ dfc, const T* __restrict__ u,
                                         const T* __restrict__ x, const int* __restrict__ xRows,
                                         const T* __restrict__ v, const T* __restrict__ gsMid,
                                         const T* __restrict__ gvMid, int first, T* __restrict__ gd,
                                         T* __restrict__ gU, int atomGrads, T* __restrict__ gv,
                                         T* __restrict__ gx) {
    __shared__ EdgeChunk<T, KMAX> ch;
    __shared__ T red[MSG_CHUNK][4][8];
    int a = blockIdx.x;
    if (a >= nAtoms) return;
    int f = threadIdx.x;
    int lane = f & 31, warp = f >> 5, warps = (blockDim.x + 31) >> 5;
    bool active = f < F;
    FilterRows<T, KMAX> w;
    w.load(W, bias, row0, F, K, f, active);
    size_t F3 = 3 * (size_t)F;
    size_t own = (size_t)a * F + f;
    T gs = active ? gsMid[own] : T(0);
    T g0 = active ? gvMid[((size_t)a * 3 + 0) * F + f] : T(0);
    T g1 = active ? gvMid[((size_t)a * 3 + 1) * F + f] : T(0);
    T g2 = active ? gvMid[((size_t)a * 3 + 2) * F + f] : T(0);
    size_t xra = xRows ? (size_t)xRows[a] : (size_t)a;
    T xaa = active ? x[xra * F3 + f] : T(0);
    T xba = active ? x[xra * F3 + F + f] : T(0);
    T xca = active ? x[xra * F3 + 2 * F + f] : T(0);
    T va0 = 0, va1 = 0, va2 = 0;
    if (v && active) {
        va0 = v[((size_t)a * 3 + 0) * F + f];
        va1 = v[((size_t)a * 3 + 1) * F + f];
        va2 = v[((size_t)a * 3 + 2) * F + f];
    }
    T acc0 = 0, acc1 = 0, acc2 = 0, gxa = 0, gxb = 0, gxc = 0;
    int begin = rowStart[a], end = rowStart[a + 1];
    for (int e0 = begin; e0 < end; e0 += MSG_CHUNK) {
        int cnt = min(MSG_CHUNK, end - e0);
        __syncthreads();
        ch.load(e0, cnt, K, neighbor, phi, dphi, fc, dfc, u);
        __syncthreads();
#pragma unroll 2
        for (int q = 0; q < cnt; q++) {
            T pd = 0, pu0 = 0, pu1 = 0, pu2 = 0;
            if (active) {
                int j = ch.j[q];
                size_t xr = xRows ? (size_t)xRows[j] : (size_t)j;
                T xaj = x[xr * F3 + f], xbj = x[xr * F3 + F + f], xcj = x[xr * F3 + 2 * F + f];
                T vj0 = 0, vj1 = 0, vj2 = 0;
                if (v) {
                    vj0 = v[((size_t)j * 3 + 0) * F + f];
                    vj1 = v[((size_t)j * 3 + 1) * F + f];
                    vj2 = v[((size_t)j * 3 + 2) * F + f];
                }
                T pa, pb, pc, da, db, dc;
                w.pre(ch.phi[q], pa, pb, pc);
                w.dpre(ch.dphi[q], da, db, dc);
                T fce = ch.fc[q], dfce = ch.dfc[q];
                T ux = ch.u[q][0], uy = ch.u[q][1], uz = ch.u[q][2];
                T Wa = pa * fce, Wb = pb * fce, Wc = pc * fce;
                // as the centre of e = (a, j)
                T gb = g0 * ux + g1 * uy + g2 * uz;
                T gc = g0 * vj0 + g1 * vj1 + g2 * vj2;
                pd = gs * xaj * (da * fce + pa * dfce) + gb * xbj * (db * fce + pb * dfce)
                   + gc * xcj * (dc * fce + pc * dfce);
                T t = Wb * xbj;
                pu0 = g0 * t;
                pu1 = g1 * t;
                pu2 = g2 * t;
                // as the neighbour of (j, a)
                if (atomGrads) {
                    T gsj = gsMid[(size_t)j * F + f];
                    T h0 = gvMid[((size_t)j * 3 + 0) * F + f], h1 = gvMid[((size_t)j * 3 + 1) * F + f],
                      h2 = gvMid[((size_t)j * 3 + 2) * F + f];
                    T wcx = Wc * xca;
                    acc0 += h0 * wcx;
                    acc1 += h1 * wcx;
                    acc2 += h2 * wcx;
                    gxa += gsj * Wa;
                    gxb -= (h0 * ux + h1 * uy + h2 * uz) * Wb;
                    gxc += (h0 * va0 + h1 * va1 + h2 * va2) * Wc;
                }
            }
            pd = warp_sum(pd);
            pu0 = warp_sum(pu0);
            pu1 = warp_sum(pu1);
            pu2 = warp_sum(pu2);
            if (lane == 0) {
                red[q][0][warp] = pd;
                red[q][1][warp] = pu0;
                red[q][2][warp] = pu1;
                red[q][3][warp] = pu2;
            }
        }
        __syncthreads();
        for (int t = threadIdx.x; t < cnt * 4; t += blockDim.x) {
            int q = t >> 2, m = t & 3;
            T sum = 0;
            for (int r = 0; r < warps; r++) sum += red[q][m][r];
            int e = e0 + q;
            if (m == 0) gd[e] = first ? sum : gd[e] + sum;
            else gU[3 * e + m - 1] = first ? sum : gU[3 * e + m - 1] + sum;
        }
    }
    if (!atomGrads || !active) return;
    gv[((size_t)a * 3 + 0) * F + f] = g0 + acc0;
    gv[((size_t)a * 3 + 1) * F + f] = g1 + acc1;
    gv[((size_t)a * 3 + 2) * F + f] = g2 + acc2;
    gx[(size_t)a * F3 + f] = gxa;
    gx[(size_t)a * F3 + F + f] = gxb;
    gx[(size_t)a * F3 + 2 * F + f] = gxc;
}

#define MESSAGE_BWD_PARAMS(T)                                                                      \
    (int nAtoms, int F, int K, const int* rowStart, const int* neighbor, const T* W, const T* bias,   \
     int row0, const T* phi, const T* dphi, const T* fc, const T* dfc, const T* u, const T* x,         \
     const int* xRows, const T* v, const T* gsMid, const T* gvMid, int first, T* gd, T* gU,           \
     int atomGrads, T* gv, T* gx)
#define MESSAGE_BWD_ARGS                                                                           \
    (nAtoms, F, K, rowStart, neighbor, W, bias, row0, phi, dphi, fc, dfc, u, x, xRows, v, gsMid, gvMid, \
     first, gd, gU, atomGrads, gv, gx)
PAINN_ENTRY_K(painn_message_bwd, 8, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
PAINN_ENTRY_K(painn_message_bwd, 16, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
PAINN_ENTRY_K(painn_message_bwd, 24, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
PAINN_ENTRY_K(painn_message_bwd, 32, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
