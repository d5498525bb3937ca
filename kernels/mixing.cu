// Stage 4: mixing / update (derivation.md §5). The dense layers run through the GEMM main loop
// of dense.cuh; what lies between them is fused around them:
//   painn_mixing_norm_fwd    n = sqrt(Σ_c V_c² + ε), S = Σ_c V_c U_c, ctx = [s', n]
//   painn_mixing_update_fwd  (p, q, r) = Dense₄(silu(g)) as one GEMM of three column groups,
//                            with the update s'' = s' + p + r S, v'' = v' + q U in its epilogue
//   painn_mixing_prep_bwd    (5.1)–(5.6): (p̄, q̄, r̄) and the first part of (V̄, Ū)
//   painn_mixing_norm_bwd    (5.8)–(5.10): s̄' and the norm's share of V̄
// Layouts: s [N][F], v [N][3][F], VU [N][3][2F] (V then U), y = (p, q, r) [N][3F].
#include "dense.cuh"

template <typename T>
PAINN_DEVICE void painn_mixing_norm_fwd_impl(int nAtoms, int F, double eps, const T* __restrict__ s,
                                             const T* __restrict__ vu, T* __restrict__ ctx,
                                             T* __restrict__ norm, T* __restrict__ S) {
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= nAtoms * F) return;
    int i = idx / F, f = idx % F;
    T sq = (T)eps, dot = 0;
    for (int c = 0; c < 3; c++) {
        T V = vu[((size_t)i * 3 + c) * 2 * F + f];
        T U = vu[((size_t)i * 3 + c) * 2 * F + F + f];
        sq += V * V;
        dot += V * U;
    }
    T n = sqrt(sq);
    ctx[(size_t)i * 2 * F + f] = s[idx];
    ctx[(size_t)i * 2 * F + F + f] = n;
    norm[idx] = n;
    S[idx] = dot;
}

#define MIXING_NORM_FWD_PARAMS(T) (int nAtoms, int F, double eps, const T* s, const T* vu, T* ctx, T* norm, T* S)
PAINN_ENTRY(painn_mixing_norm_fwd, MIXING_NORM_FWD_PARAMS, (nAtoms, F, eps, s, vu, ctx, norm, S))

template <typename T>
struct MixingUpdateEpi {
    const T* __restrict__ bias;
    const T* __restrict__ S;
    const T* __restrict__ vu;
    const T* __restrict__ s;
    const T* __restrict__ v;
    T* __restrict__ y;
    T* __restrict__ sOut;
    T* __restrict__ vOut;
    int F;
    PAINN_DEVICE void operator()(int i, int f, const T (&acc)[3]) const {
        T p = acc[0] + bias[f], q = acc[1] + bias[F + f], r = acc[2] + bias[2 * F + f];
        size_t at = (size_t)i * F + f;
        y[(size_t)i * 3 * F + f] = p;
        y[(size_t)i * 3 * F + F + f] = q;
        y[(size_t)i * 3 * F + 2 * F + f] = r;
        sOut[at] = s[at] + p + r * S[at];
        for (int c = 0; c < 3; c++) {
            size_t vc = ((size_t)i * 3 + c) * F + f;
            vOut[vc] = v[vc] + q * vu[((size_t)i * 3 + c) * 2 * F + F + f];
        }
    }
    // the same for features f..f+3, every operand loaded before anything is stored
    PAINN_DEVICE bool quads() const { return F % 4 == 0; }
    PAINN_DEVICE void quad(int i, int f, const T (&acc)[4][3]) const {
        size_t at = (size_t)i * F + f;
        T bp[4], bq[4], br[4], Sv[4], sv[4], U[3][4], vv[3][4];
        gload4(bias + f, bp);
        gload4(bias + F + f, bq);
        gload4(bias + 2 * F + f, br);
        gload4(S + at, Sv);
        gload4(s + at, sv);
#pragma unroll
        for (int c = 0; c < 3; c++) {
            gload4(vu + ((size_t)i * 3 + c) * 2 * F + F + f, U[c]);
            gload4(v + ((size_t)i * 3 + c) * F + f, vv[c]);
        }
        T p[4], q[4], r[4], so[4];
#pragma unroll
        for (int k = 0; k < 4; k++) {
            p[k] = acc[k][0] + bp[k];
            q[k] = acc[k][1] + bq[k];
            r[k] = acc[k][2] + br[k];
            so[k] = sv[k] + p[k] + r[k] * Sv[k];
        }
        store4(y + (size_t)i * 3 * F + f, p);
        store4(y + (size_t)i * 3 * F + F + f, q);
        store4(y + (size_t)i * 3 * F + 2 * F + f, r);
        store4(sOut + at, so);
#pragma unroll
        for (int c = 0; c < 3; c++) {
            T vo[4];
#pragma unroll
            for (int k = 0; k < 4; k++) vo[k] = vv[c][k] + q[k] * U[c][k];
            store4(vOut + ((size_t)i * 3 + c) * F + f, vo);
        }
    }
};

// Grid as painn_dense_fwd's (the _mid variant for mid sizes, the _rows variant for N ≤ 64). h = silu(g), Dense₃'s output after its
// activation (stored by Dense₃'s epilogue) [N][F]; W4 is [3F][F].
template <typename T, GemmDriver D>
PAINN_DEVICE void painn_mixing_update_fwd_impl(int nAtoms, int F, const T* h, const T* w4, const T* b4,
                                               const T* S, const T* vu, const T* s, const T* v, T* y, T* sOut,
                                               T* vOut) {
    RowsA<T> a{h, F, false};
    WeightT<T> b{w4, F, F};
    MixingUpdateEpi<T> epi{b4, S, vu, s, v, y, sOut, vOut, F};
    gemm<D, T, 3, true>(nAtoms, F, F, a, b, epi);
}

#define MIXING_UPDATE_FWD_PARAMS(T)                                                                \
    (int nAtoms, int F, const T* h, const T* w4, const T* b4, const T* S, const T* vu, const T* s, \
     const T* v, T* y, T* sOut, T* vOut)
#define MIXING_UPDATE_FWD_ARGS (nAtoms, F, h, w4, b4, S, vu, s, v, y, sOut, vOut)
PAINN_ENTRY_OF(painn_mixing_update_fwd, painn_mixing_update_fwd_impl, GEMM_TILES, MIXING_UPDATE_FWD_PARAMS,
               MIXING_UPDATE_FWD_ARGS)
PAINN_ENTRY_OF(painn_mixing_update_fwd_mid, painn_mixing_update_fwd_impl, GEMM_MID, MIXING_UPDATE_FWD_PARAMS,
               MIXING_UPDATE_FWD_ARGS)
PAINN_ENTRY_OF(painn_mixing_update_fwd_rows, painn_mixing_update_fwd_impl, GEMM_ROWS, MIXING_UPDATE_FWD_PARAMS,
               MIXING_UPDATE_FWD_ARGS)

// (5.1)–(5.6): p̄ = s̄'', q̄ = Σ_c v̄''_c U_c, r̄ = s̄'' S, S̄ = s̄'' r, V̄_c = S̄ U_c, Ū_c = v̄''_c q + S̄ V_c.
template <typename T>
PAINN_DEVICE void painn_mixing_prep_bwd_impl(int nAtoms, int F, const T* __restrict__ gsOut,
                                             const T* __restrict__ gvOut, const T* __restrict__ y,
                                             const T* __restrict__ vu, const T* __restrict__ S,
                                             T* __restrict__ gy, T* __restrict__ gvu) {
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= nAtoms * F) return;
    int i = idx / F, f = idx % F;
    T g = gsOut[idx];
    T q = y[(size_t)i * 3 * F + F + f], r = y[(size_t)i * 3 * F + 2 * F + f];
    T gS = g * r, gq = 0;
    for (int c = 0; c < 3; c++) {
        size_t at = ((size_t)i * 3 + c) * 2 * F + f;
        T V = vu[at], U = vu[at + F];
        T gvo = gvOut ? gvOut[((size_t)i * 3 + c) * F + f] : T(0);  // null: v̄'' = 0 (the last layer)
        gq += gvo * U;
        gvu[at] = gS * U;
        gvu[at + F] = gvo * q + gS * V;
    }
    gy[(size_t)i * 3 * F + f] = g;
    gy[(size_t)i * 3 * F + F + f] = gq;
    gy[(size_t)i * 3 * F + 2 * F + f] = g * S[idx];
}

#define MIXING_PREP_BWD_PARAMS(T) \
    (int nAtoms, int F, const T* gsOut, const T* gvOut, const T* y, const T* vu, const T* S, T* gy, T* gvu)
PAINN_ENTRY(painn_mixing_prep_bwd, MIXING_PREP_BWD_PARAMS, (nAtoms, F, gsOut, gvOut, y, vu, S, gy, gvu))

// (5.8)–(5.10): s̄' = s̄'' + ctx̄[:F], V̄_c += (ctx̄[F:] / n) V_c.
template <typename T>
PAINN_DEVICE void painn_mixing_norm_bwd_impl(int nAtoms, int F, const T* __restrict__ gsOut,
                                             const T* __restrict__ gctx, const T* __restrict__ vu,
                                             const T* __restrict__ norm, T* __restrict__ gs,
                                             T* __restrict__ gvu) {
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= nAtoms * F) return;
    int i = idx / F, f = idx % F;
    gs[idx] = gsOut[idx] + gctx[(size_t)i * 2 * F + f];
    T gn = gctx[(size_t)i * 2 * F + F + f] / norm[idx];
    for (int c = 0; c < 3; c++) {
        size_t at = ((size_t)i * 3 + c) * 2 * F + f;
        gvu[at] += gn * vu[at];
    }
}

#define MIXING_NORM_BWD_PARAMS(T) \
    (int nAtoms, int F, const T* gsOut, const T* gctx, const T* vu, const T* norm, T* gs, T* gvu)
PAINN_ENTRY(painn_mixing_norm_bwd, MIXING_NORM_BWD_PARAMS, (nAtoms, F, gsOut, gctx, vu, norm, gs, gvu))
