// Stage 2+3: filter + message + aggregation, fused (derivation.md §3, §4).
// W_ij is formed inside the kernels from the K radial values (3F·K filter weights per thread in
// registers) and never stored as an [E, 3F·L] tensor. One thread per feature f (blockDim ≥ F, at
// most 256); each block walks the rows of a contiguous range of atoms (`perBlock` of them) as one
// stream of edges, so that the filter weights are loaded once per block and the pipeline below
// runs across row ends.
//
// The neighbor's feature rows (x_j, v_j and, backward, s̄'_j, v̄'_j: 6F or 10F reals per edge) are
// what the kernels wait on: they are gathered from all over the atom arrays. They are copied
// into shared memory with cp.async, 16 bytes per instruction and no registers held, a few edges
// at a time ("groups") into a ring of slots two groups ahead of the group being computed, with
// the edge's φ, (φ'), fc, (fc') and u; the neighbor indices of 256 edges at a time are staged
// first. Sums run over each row in its fixed order and nothing is accumulated with atomics, so
// results are the same bit for bit every run, whatever the grid.
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

// Edges whose neighbor indices are staged at once.
#define MSG_SPAN 256

PAINN_DEVICE void cp_async16(void* dst, const void* src) {
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(src));
}

template <int BYTES> PAINN_DEVICE void cp_async_small(void* dst, const void* src) {
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2;\n" ::"r"(s), "l"(src), "n"(BYTES));
}

PAINN_DEVICE void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int N> PAINN_DEVICE void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }

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

// The staging ring. Each slot holds G edges; an edge is its neighbor rows (x_j | v_j [| s̄'_j |
// v̄'_j], the layout of the atom arrays, so that 16-byte pieces copy straight across) and then
// its scalars (φ [KMAX], [φ' [KMAX]], fc, [fc'], u ×3), each part padded to 16 bytes.
template <typename T, int KMAX, bool BWD>
struct MsgRing {
    static constexpr int V = 16 / sizeof(T);  // reals per 16-byte copy
    static constexpr int PHI = 0;
    static constexpr int DPHI = KMAX;
    static constexpr int FC = BWD ? 2 * KMAX : KMAX;
    static constexpr int DFC = FC + 1;
    static constexpr int U = BWD ? FC + 2 : FC + 1;
    static constexpr int SCAL = (U + 3 + V - 1) / V * V;
    // shared memory for the ring: room for three slots of a few edges at F = 128
    static constexpr int BYTES = (sizeof(T) == 4 && !BWD) ? 40 * 1024 : 43 * 1024;
    static constexpr int GMAX = BWD ? 2 : 8;

    T* base;
    int F, K;
    int rowLen;   // reals of neighbor rows per edge
    int edgeLen;  // rowLen + SCAL
    int G;        // edges per slot
    int slots;    // 3, or 2 where three slots of one edge do not fit
    bool vec;     // rows copy in 16-byte pieces (F a multiple of V)

    PAINN_DEVICE MsgRing(T* mem, int F_, int K_) : base(mem), F(F_), K(K_) {
        vec = F % V == 0;
        rowLen = ((BWD ? 10 : 6) * F + V - 1) / V * V;
        edgeLen = rowLen + SCAL;
        int fit = BYTES / (int)sizeof(T) / edgeLen;
        slots = fit >= 3 ? 3 : 2;
        G = min(GMAX, fit / slots);
    }

    PAINN_DEVICE T* edge(int slot, int q) const { return base + (slot * G + q) * edgeLen; }

    // φ (and φ') past K are read as zeros by the four-at-a-time loads: cleared once, never copied over.
    PAINN_DEVICE void clearPadding() const {
        if (K == KMAX) return;
        int pad = KMAX - K;
        for (int t = threadIdx.x; t < slots * G * pad; t += blockDim.x) {
            T* e = base + (t / pad) * edgeLen;
            e[rowLen + PHI + K + t % pad] = T(0);
            if (BWD) e[rowLen + DPHI + K + t % pad] = T(0);
        }
    }

    // Copies up to four row segments of one edge (source, offset in the edge, length in reals).
    PAINN_DEVICE void rows(T* dst, const T* s0, int n0, const T* s1, int o1, int n1, const T* s2, int o2, int n2,
                           const T* s3, int o3, int n3) const {
        if (vec) {
            // one index over the four segments' 16-byte pieces, so that the copies spread evenly
            int c0 = n0 / V, c1 = c0 + n1 / V, c2 = c1 + n2 / V, c3 = c2 + n3 / V;
            for (int u = threadIdx.x; u < c3; u += blockDim.x) {
                const T* src;
                int o;
                if (u < c0) {
                    src = s0 + u * V;
                    o = u * V;
                } else if (u < c1) {
                    src = s1 + (u - c0) * V;
                    o = o1 + (u - c0) * V;
                } else if (u < c2) {
                    src = s2 + (u - c1) * V;
                    o = o2 + (u - c1) * V;
                } else {
                    src = s3 + (u - c2) * V;
                    o = o3 + (u - c2) * V;
                }
                cp_async16(dst + o, src);
            }
        } else {
            for (int u = threadIdx.x; u < n0; u += blockDim.x) cp_async_small<sizeof(T)>(dst + u, s0 + u);
            for (int u = threadIdx.x; u < n1; u += blockDim.x) cp_async_small<sizeof(T)>(dst + o1 + u, s1 + u);
            for (int u = threadIdx.x; u < n2; u += blockDim.x) cp_async_small<sizeof(T)>(dst + o2 + u, s2 + u);
            for (int u = threadIdx.x; u < n3; u += blockDim.x) cp_async_small<sizeof(T)>(dst + o3 + u, s3 + u);
        }
    }

    // The scalars of cnt consecutive edges from e0 into slot `slot`.
    PAINN_DEVICE void scalars(int slot, int e0, int cnt, const T* __restrict__ phi, const T* __restrict__ dphi,
                              const T* __restrict__ fc, const T* __restrict__ dfc, const T* __restrict__ u) const {
        int tid = threadIdx.x, step = blockDim.x;
        T* b = edge(slot, 0) + rowLen;
        for (int t = tid; t < cnt * K; t += step) {
            int q = t / K, k = t - q * K;
            cp_async_small<sizeof(T)>(b + q * edgeLen + PHI + k, phi + (size_t)e0 * K + t);
            if (BWD) cp_async_small<sizeof(T)>(b + q * edgeLen + DPHI + k, dphi + (size_t)e0 * K + t);
        }
        for (int t = tid; t < cnt * 3; t += step) {
            int q = t / 3, c = t - q * 3;
            cp_async_small<sizeof(T)>(b + q * edgeLen + U + c, u + (size_t)e0 * 3 + t);
        }
        // the last threads, which the loops above leave idle most often
        for (int t = step - 1 - tid; t < cnt; t += step) {
            cp_async_small<sizeof(T)>(b + t * edgeLen + FC, fc + e0 + t);
            if (BWD) cp_async_small<sizeof(T)>(b + t * edgeLen + DFC, dfc + e0 + t);
        }
    }
};

// Neighbor indices of one span: j, and the row of x it reads (j, or xRows[j] for the layer-0
// table), so that the copies of a group need no global reads of their own.
PAINN_DEVICE void stage_indices(int* jIdx, int* xIdx, int e0, int cnt, const int* __restrict__ neighbor,
                                const int* __restrict__ xRows) {
    for (int t = threadIdx.x; t < cnt; t += blockDim.x) {
        int j = neighbor[e0 + t];
        jIdx[t] = j;
        xIdx[t] = xRows ? xRows[j] : j;
    }
}

template <typename T, int KMAX>
PAINN_DEVICE void painn_message_fwd_impl(int nAtoms, int perBlock, int F, int K, const int* __restrict__ rowStart,
                                         const int* __restrict__ neighbor, const T* __restrict__ W,
                                         const T* __restrict__ bias, int row0, const T* __restrict__ phi,
                                         const T* __restrict__ fc, const T* __restrict__ u,
                                         const T* __restrict__ x, const int* __restrict__ xRows,
                                         const T* __restrict__ s, const int* __restrict__ sRows,
                                         const T* __restrict__ v, T* __restrict__ sOut, T* __restrict__ vOut) {
    using Ring = MsgRing<T, KMAX, false>;
    __shared__ __align__(16) T ringMem[Ring::BYTES / sizeof(T)];
    __shared__ int jIdx[MSG_SPAN], xIdx[MSG_SPAN];
    int a0 = blockIdx.x * perBlock;
    if (a0 >= nAtoms) return;
    int a1 = min(nAtoms, a0 + perBlock);
    int f = threadIdx.x;
    bool active = f < F;
    Ring ring(ringMem, F, K);
    ring.clearPadding();
    FilterRows<T, KMAX> w;
    w.load(W, bias, row0, F, K, f, active);
    size_t F3 = 3 * (size_t)F;
    bool hasV = v != nullptr;

    // the atom whose row is being summed, and its residual s, v read ahead of its end
    int cur = a0;
    int rowEnd = rowStart[a0 + 1];
    int nextEnd = rowStart[min(a0 + 2, nAtoms)];
    T rs = 0, rv0 = 0, rv1 = 0, rv2 = 0;
    auto residual = [&](int i) {
        if (!active || i >= a1) return;
        size_t sr = sRows ? (size_t)sRows[i] : (size_t)i;
        rs = s[sr * F + f];
        if (hasV) {
            rv0 = v[((size_t)i * 3 + 0) * F + f];
            rv1 = v[((size_t)i * 3 + 1) * F + f];
            rv2 = v[((size_t)i * 3 + 2) * F + f];
        }
    };
    residual(cur);
    T sAcc = 0, v0 = 0, v1 = 0, v2 = 0;
    auto finish = [&]() {
        if (active) {
            sOut[(size_t)cur * F + f] = rs + sAcc;
            vOut[((size_t)cur * 3 + 0) * F + f] = rv0 + v0;
            vOut[((size_t)cur * 3 + 1) * F + f] = rv1 + v1;
            vOut[((size_t)cur * 3 + 2) * F + f] = rv2 + v2;
        }
        sAcc = v0 = v1 = v2 = T(0);
        cur++;
        rowEnd = nextEnd;
        nextEnd = rowStart[min(cur + 2, nAtoms)];
        residual(cur);
    };

    int E0 = rowStart[a0], E1 = rowStart[a1];
    const int G = ring.G, slots = ring.slots;
    for (int span = E0; span < E1; span += MSG_SPAN) {
        int cnt = min(MSG_SPAN, E1 - span);
        int groups = (cnt + G - 1) / G;
        __syncthreads();
        stage_indices(jIdx, xIdx, span, cnt, neighbor, xRows);
        __syncthreads();
        auto issue = [&](int g) {
            int q0 = g * G;
            if (q0 < cnt) {
                int gc = min(G, cnt - q0), slot = g % slots;
                for (int q = 0; q < gc; q++) {
                    int j = jIdx[q0 + q];
                    ring.rows(ring.edge(slot, q), x + (size_t)xIdx[q0 + q] * F3, 3 * F, v + (size_t)j * F3,
                              3 * F, hasV ? 3 * F : 0, nullptr, 0, 0, nullptr, 0, 0);
                }
                ring.scalars(slot, span + q0, gc, phi, nullptr, fc, nullptr, u);
            }
            cp_async_commit();
        };
        for (int g = 0; g < slots - 1; g++) issue(g);
        for (int g = 0; g < groups; g++) {
            if (slots == 3) cp_async_wait<1>();
            else cp_async_wait<0>();
            __syncthreads();
            issue(g + slots - 1);
            int q0 = g * G, gc = min(G, cnt - q0), slot = g % slots;
            for (int q = 0; q < gc; q++) {
                int e = span + q0 + q;
                while (e == rowEnd) finish();
                if (!active) continue;
                const T* R = ring.edge(slot, q);
                const T* S = R + ring.rowLen;
                T xa = R[f], xb = R[F + f], xc = R[2 * F + f];
                T vj0 = 0, vj1 = 0, vj2 = 0;
                if (hasV) {
                    vj0 = R[3 * F + f];
                    vj1 = R[4 * F + f];
                    vj2 = R[5 * F + f];
                }
                T pa, pb, pc;
                w.pre(S + Ring::PHI, pa, pb, pc);
                T fce = S[Ring::FC];
                T a = pa * fce * xa, b = pb * fce * xb, c = pc * fce * xc;
                sAcc += a;
                v0 += b * S[Ring::U] + c * vj0;
                v1 += b * S[Ring::U + 1] + c * vj1;
                v2 += b * S[Ring::U + 2] + c * vj2;
            }
        }
    }
    while (cur < a1) finish();
}

#define MESSAGE_FWD_PARAMS(T)                                                                      \
    (int nAtoms, int perBlock, int F, int K, const int* rowStart, const int* neighbor, const T* W,    \
     const T* bias, int row0, const T* phi, const T* fc, const T* u, const T* x, const int* xRows,    \
     const T* s, const int* sRows, const T* v, T* sOut, T* vOut)
#define MESSAGE_FWD_ARGS \
    (nAtoms, perBlock, F, K, rowStart, neighbor, W, bias, row0, phi, fc, u, x, xRows, s, sRows, v, sOut, vOut)
PAINN_ENTRY_K(painn_message_fwd, 8, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 12, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 16, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 20, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 24, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
PAINN_ENTRY_K(painn_message_fwd, 32, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)

// One butterfly step over N values (see warp_transpose_sum in common.cuh).
template <int OFF, int N, typename T> PAINN_DEVICE void transpose_step_n(T (&v)[N], int lane) {
    bool upper = lane & OFF;
#pragma unroll
    for (int q = 0; q < OFF; q++) {
        T send = upper ? v[q] : v[q + OFF];
        T keep = upper ? v[q + OFF] : v[q];
        v[q] = keep + __shfl_xor_sync(0xffffffffu, send, OFF);
    }
}

// Warp sums of eight values in 9 shuffles instead of 40: three butterfly steps leave value
// (lane & 7) summed over the lane's group of eight, two plain steps add the four groups.
template <typename T> PAINN_DEVICE T warp_sum8(T (&v)[8]) {
    int lane = threadIdx.x & 31;
    transpose_step_n<4>(v, lane);
    transpose_step_n<2>(v, lane);
    transpose_step_n<1>(v, lane);
    T r = v[0];
    r += __shfl_xor_sync(0xffffffffu, r, 8);
    r += __shfl_xor_sync(0xffffffffu, r, 16);
    return r;
}

// The backward pass of one layer over the row of atom a.
//   For e = (a, j), with ā = s̄'_a, b̄ = Σ_c v̄'_ac u_ec, c̄ = Σ_c v̄'_ac v_jc:
//     W̄ = (ā x^a_j, b̄ x^b_j, c̄ x^c_j)                                          (4.7)
//     ∂E/∂d_e += Σ_o W̄_o (fc φ'·W_f[o] + fc' pre_o)                           (2.4), (3.2), (3.3)
//     ∂E/∂u_ec += Σ_f v̄'_acf W^b_f x^b_jf                                       (4.6)
//   For the reverse edge (j, a), whose W is the same and whose u is −u_e:
//     v̄_ac = v̄'_ac + Σ_e v̄'_jc W^c x^c_a                                        (4.1), (4.5)
//     x̄_a = Σ_e (s̄'_j W^a, −(Σ_c v̄'_jc u_ec) W^b, (Σ_c v̄'_jc v_ac) W^c)         (4.8)
// The per-edge sums over features are reduced a group at a time: a shuffle tree per warp, then
// the warps' partial sums, in warp order, by one thread per value in the next group's step.
// `first` writes the per-edge sums instead of adding to them (the first layer the backward
// pass visits), so no buffer needs clearing.
template <typename T, int KMAX>
PAINN_DEVICE void painn_message_bwd_impl(int nAtoms, int perBlock, int F, int K, const int* __restrict__ rowStart,
                                         const int* __restrict__ neighbor, const T* __restrict__ W,
                                         const T* __restrict__ bias, int row0, const T* __restrict__ phi,
                                         const T* __restrict__ dphi, const T* __restrict__ fc,
                                         const T* __restrict__ dfc, const T* __restrict__ u,
                                         const T* __restrict__ x, const int* __restrict__ xRows,
                                         const T* __restrict__ v, const T* __restrict__ gsMid,
                                         const T* __restrict__ gvMid, int first, T* __restrict__ gd,
                                         T* __restrict__ gU, int atomGrads, T* __restrict__ gv,
                                         T* __restrict__ gx) {
    using Ring = MsgRing<T, KMAX, true>;
    constexpr int GM = Ring::GMAX;
    static_assert(4 * GM == 8, "the per-edge sums of a group are reduced eight at a time");
    __shared__ __align__(16) T ringMem[Ring::BYTES / sizeof(T)];
    __shared__ int jIdx[MSG_SPAN], xIdx[MSG_SPAN];
    __shared__ T red[2][4 * GM][8];
    int a0 = blockIdx.x * perBlock;
    if (a0 >= nAtoms) return;
    int a1 = min(nAtoms, a0 + perBlock);
    int f = threadIdx.x;
    int lane = f & 31, warp = f >> 5, warps = (blockDim.x + 31) >> 5;
    bool active = f < F;
    Ring ring(ringMem, F, K);
    ring.clearPadding();
    FilterRows<T, KMAX> w;
    w.load(W, bias, row0, F, K, f, active);
    size_t F3 = 3 * (size_t)F;
    bool hasV = v != nullptr;
    bool grads = atomGrads != 0;

    // atom a's own values, read when its row begins
    int cur = a0;
    int rowEnd = rowStart[a0 + 1];
    int nextEnd = rowStart[min(a0 + 2, nAtoms)];
    T gs = 0, g0 = 0, g1 = 0, g2 = 0, xaa = 0, xba = 0, xca = 0, va0 = 0, va1 = 0, va2 = 0;
    auto own = [&](int a) {
        if (!active || a >= a1) return;
        gs = gsMid[(size_t)a * F + f];
        g0 = gvMid[((size_t)a * 3 + 0) * F + f];
        g1 = gvMid[((size_t)a * 3 + 1) * F + f];
        g2 = gvMid[((size_t)a * 3 + 2) * F + f];
        size_t xra = xRows ? (size_t)xRows[a] : (size_t)a;
        xaa = x[xra * F3 + f];
        xba = x[xra * F3 + F + f];
        xca = x[xra * F3 + 2 * F + f];
        if (hasV) {
            va0 = v[((size_t)a * 3 + 0) * F + f];
            va1 = v[((size_t)a * 3 + 1) * F + f];
            va2 = v[((size_t)a * 3 + 2) * F + f];
        }
    };
    own(cur);
    T acc0 = 0, acc1 = 0, acc2 = 0, gxa = 0, gxb = 0, gxc = 0;
    auto finish = [&]() {
        if (grads && active) {
            gv[((size_t)cur * 3 + 0) * F + f] = g0 + acc0;
            gv[((size_t)cur * 3 + 1) * F + f] = g1 + acc1;
            gv[((size_t)cur * 3 + 2) * F + f] = g2 + acc2;
            gx[(size_t)cur * F3 + f] = gxa;
            gx[(size_t)cur * F3 + F + f] = gxb;
            gx[(size_t)cur * F3 + 2 * F + f] = gxc;
        }
        acc0 = acc1 = acc2 = gxa = gxb = gxc = T(0);
        cur++;
        rowEnd = nextEnd;
        nextEnd = rowStart[min(cur + 2, nAtoms)];
        own(cur);
    };
    // the warps' partial sums of a finished group, added in warp order and written per edge
    auto store = [&](int e0, int gc, int par) {
        for (int t = threadIdx.x; t < 4 * gc; t += blockDim.x) {
            T sum = 0;
            for (int r = 0; r < warps; r++) sum += red[par][t][r];
            int e = e0 + (t >> 2), m = t & 3;
            if (m == 0) gd[e] = first ? sum : gd[e] + sum;
            else gU[3 * e + m - 1] = first ? sum : gU[3 * e + m - 1] + sum;
        }
    };

    int E0 = rowStart[a0], E1 = rowStart[a1];
    const int G = ring.G, slots = ring.slots;
    for (int span = E0; span < E1; span += MSG_SPAN) {
        int cnt = min(MSG_SPAN, E1 - span);
        int groups = (cnt + G - 1) / G;
        __syncthreads();
        stage_indices(jIdx, xIdx, span, cnt, neighbor, xRows);
        __syncthreads();
        auto issue = [&](int g) {
            int q0 = g * G;
            if (q0 < cnt) {
                int gc = min(G, cnt - q0), slot = g % slots;
                for (int q = 0; q < gc; q++) {
                    int j = jIdx[q0 + q];
                    ring.rows(ring.edge(slot, q), x + (size_t)xIdx[q0 + q] * F3, 3 * F, v + (size_t)j * F3,
                              3 * F, hasV ? 3 * F : 0, gsMid + (size_t)j * F, 6 * F, grads ? F : 0,
                              gvMid + (size_t)j * F3, 7 * F, grads ? 3 * F : 0);
                }
                ring.scalars(slot, span + q0, gc, phi, dphi, fc, dfc, u);
            }
            cp_async_commit();
        };
        for (int g = 0; g < slots - 1; g++) issue(g);
        for (int g = 0; g < groups; g++) {
            if (slots == 3) cp_async_wait<1>();
            else cp_async_wait<0>();
            __syncthreads();
            issue(g + slots - 1);
            if (g > 0) store(span + (g - 1) * G, G, (g - 1) & 1);
            int q0 = g * G, gc = min(G, cnt - q0), slot = g % slots;
            T part[8];
#pragma unroll
            for (int m = 0; m < 8; m++) part[m] = T(0);
#pragma unroll
            for (int q = 0; q < GM; q++) {
                if (q >= gc) break;
                int e = span + q0 + q;
                while (e == rowEnd) finish();
                if (!active) continue;
                const T* R = ring.edge(slot, q);
                const T* S = R + ring.rowLen;
                T xaj = R[f], xbj = R[F + f], xcj = R[2 * F + f];
                T vj0 = 0, vj1 = 0, vj2 = 0;
                if (hasV) {
                    vj0 = R[3 * F + f];
                    vj1 = R[4 * F + f];
                    vj2 = R[5 * F + f];
                }
                T pa, pb, pc, da, db, dc;
                w.pre(S + Ring::PHI, pa, pb, pc);
                w.dpre(S + Ring::DPHI, da, db, dc);
                T fce = S[Ring::FC], dfce = S[Ring::DFC];
                T ux = S[Ring::U], uy = S[Ring::U + 1], uz = S[Ring::U + 2];
                T Wa = pa * fce, Wb = pb * fce, Wc = pc * fce;
                // as the centre of e = (a, j)
                T gb = g0 * ux + g1 * uy + g2 * uz;
                T gc3 = g0 * vj0 + g1 * vj1 + g2 * vj2;
                part[4 * q] = gs * xaj * (da * fce + pa * dfce) + gb * xbj * (db * fce + pb * dfce)
                            + gc3 * xcj * (dc * fce + pc * dfce);
                T t = Wb * xbj;
                part[4 * q + 1] = g0 * t;
                part[4 * q + 2] = g1 * t;
                part[4 * q + 3] = g2 * t;
                // as the neighbour of (j, a)
                if (grads) {
                    T gsj = R[6 * F + f];
                    T h0 = R[7 * F + f], h1 = R[8 * F + f], h2 = R[9 * F + f];
                    T wcx = Wc * xca;
                    acc0 += h0 * wcx;
                    acc1 += h1 * wcx;
                    acc2 += h2 * wcx;
                    gxa += gsj * Wa;
                    gxb -= (h0 * ux + h1 * uy + h2 * uz) * Wb;
                    gxc += (h0 * va0 + h1 * va1 + h2 * va2) * Wc;
                }
            }
            T sum = warp_sum8(part);
            if (lane < 4 * gc) red[g & 1][lane][warp] = sum;
        }
        __syncthreads();
        if (groups > 0) store(span + (groups - 1) * G, cnt - (groups - 1) * G, (groups - 1) & 1);
    }
    while (cur < a1) finish();
}

#define MESSAGE_BWD_PARAMS(T)                                                                      \
    (int nAtoms, int perBlock, int F, int K, const int* rowStart, const int* neighbor, const T* W,    \
     const T* bias, int row0, const T* phi, const T* dphi, const T* fc, const T* dfc, const T* u,     \
     const T* x, const int* xRows, const T* v, const T* gsMid, const T* gvMid, int first, T* gd,      \
     T* gU, int atomGrads, T* gv, T* gx)
#define MESSAGE_BWD_ARGS                                                                           \
    (nAtoms, perBlock, F, K, rowStart, neighbor, W, bias, row0, phi, dphi, fc, dfc, u, x, xRows, v,   \
     gsMid, gvMid, first, gd, gU, atomGrads, gv, gx)
PAINN_ENTRY_K(painn_message_bwd, 8, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
PAINN_ENTRY_K(painn_message_bwd, 12, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
PAINN_ENTRY_K(painn_message_bwd, 16, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
PAINN_ENTRY_K(painn_message_bwd, 20, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
PAINN_ENTRY_K(painn_message_bwd, 24, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
PAINN_ENTRY_K(painn_message_bwd, 32, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
