// The bodies of the message kernels (message.cu: one block per range of atoms; message_split.cu:
// a row split over a cluster of blocks), and what they share. message.cu says what they compute.
#pragma once

#include <cooperative_groups.h>

#include "common.cuh"


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

// A span of a block's edges in shared memory: φ (and φ') padded to KMAX, the per-edge scalars
// (fc, u ×3; backward fc, fc', u ×3 in two quads) and the neighbor index j (and the row of x it
// reads: j, or xRows[j] for the layer-0 table). Two spans are held: the next one is copied in
// (cp.async) while the current one is computed.
template <typename T, int KMAX, bool BWD>
struct Span {
    static constexpr int N = BWD ? (sizeof(T) == 4 ? 64 : 32) : (sizeof(T) == 4 ? 128 : 64);  // edges
    static constexpr int NS = BWD ? 8 : 4;  // scalars per edge
    T phi[N][KMAX];
    T dphi[BWD ? N : 1][KMAX];
    T sc[N][NS];
    int j[N];
    int xr[N];

    // Copies edges [e0, e0 + cnt) in; φ rows go 16 bytes at a time where they are contiguous.
    PAINN_DEVICE void stage(int e0, int cnt, int K, const int* __restrict__ neighbor, const T* __restrict__ phiG,
                            const T* __restrict__ dphiG, const T* __restrict__ fcG, const T* __restrict__ dfcG,
                            const T* __restrict__ uG) {
        constexpr int V = 16 / sizeof(T);
        int tid = threadIdx.x, step = blockDim.x;
        if (K == KMAX && ((size_t)e0 * K) % V == 0 && (cnt * K) % V == 0) {
            for (int t = tid; t < cnt * K / V; t += step) {
                cp_async16(&phi[0][0] + t * V, phiG + (size_t)e0 * K + t * V);
                if (BWD) cp_async16(&dphi[0][0] + t * V, dphiG + (size_t)e0 * K + t * V);
            }
        } else {
            for (int t = tid; t < cnt * K; t += step) {
                int q = t / K, k = t - q * K;
                cp_async_small<sizeof(T)>(&phi[q][k], phiG + (size_t)e0 * K + t);
                if (BWD) cp_async_small<sizeof(T)>(&dphi[q][k], dphiG + (size_t)e0 * K + t);
            }
        }
        for (int t = tid; t < cnt * 3; t += step) {
            int q = t / 3, c = t - q * 3;
            cp_async_small<sizeof(T)>(&sc[q][(BWD ? 2 : 1) + c], uG + (size_t)e0 * 3 + t);
        }
        for (int t = tid; t < cnt; t += step) {
            cp_async_small<sizeof(T)>(&sc[t][0], fcG + e0 + t);
            if (BWD) cp_async_small<sizeof(T)>(&sc[t][1], dfcG + e0 + t);
            cp_async_small<4>(&j[t], neighbor + e0 + t);
        }
    }

    // φ past K is read as zeros by the four-at-a-time loads: cleared once, never copied over
    PAINN_DEVICE void clearPadding(int K) {
        if (K == KMAX) return;
        for (int t = threadIdx.x; t < N * (KMAX - K); t += blockDim.x) {
            int q = t / (KMAX - K), k = K + t % (KMAX - K);
            phi[q][k] = T(0);
            if (BWD) dphi[q][k] = T(0);
        }
    }

    // the layer-0 table rows, once the span's j have landed
    PAINN_DEVICE void tableRows(int cnt, const int* __restrict__ xRows) {
        for (int t = threadIdx.x; t < cnt; t += blockDim.x) xr[t] = xRows[j[t]];
    }
};

// A block's stream of edges [E0, E1) and the per-edge arrays its spans copy (dphi and dfc: the
// backward pass only), and the double-buffered walk over it: span si is computed while span
// si + 1 is copied in.
template <typename T> struct EdgeStream {
    int E0, E1, K;
    const int* __restrict__ neighbor;
    const T* __restrict__ phi;
    const T* __restrict__ dphi;
    const T* __restrict__ fc;
    const T* __restrict__ dfc;
    const T* __restrict__ u;

    template <typename SpanT> PAINN_DEVICE int spans() const { return (E1 - E0 + SpanT::N - 1) / SpanT::N; }

    // starts the copy of the first span
    template <typename SpanT> PAINN_DEVICE void begin(SpanT (&sp)[2]) const {
        if (E1 > E0) sp[0].stage(E0, min(SpanT::N, E1 - E0), K, neighbor, phi, dphi, fc, dfc, u);
        cp_async_commit();
    }

    // span si, in shared memory for every thread on return (with TABLE its table rows too), and
    // the copy of span si + 1 started
    template <bool TABLE, typename SpanT>
    PAINN_DEVICE SpanT& next(SpanT (&sp)[2], int si, int spans, const int* __restrict__ xRows) const {
        int e0 = E0 + si * SpanT::N, cnt = min(SpanT::N, E1 - e0);
        if (si + 1 < spans) {
            int e1 = e0 + SpanT::N;
            sp[(si + 1) & 1].stage(e1, min(SpanT::N, E1 - e1), K, neighbor, phi, dphi, fc, dfc, u);
        }
        cp_async_commit();
        cp_async_wait<1>();
        __syncthreads();
        SpanT& S = sp[si & 1];
        if (TABLE) {
            S.tableRows(cnt, xRows);
            __syncthreads();
        }
        return S;
    }
};

// Prefetch depth: neighbor rows of this many edges are loaded ahead into registers. Two: the
// loads really stay in flight (entry 65), and four took the float32 forward kernel from 128 to
// 162 registers, three blocks per multiprocessor instead of four, which cost more than it hid.
template <typename T, bool BWD> struct Ahead {
    static constexpr int D = 2;
};

// In the kernels with F fixed the host launches exactly F threads, so every thread is active and
// no condition on f < F remains around the loads and sums: 1.6-2.1 % off a call at 1,024 and
// 16,384 atoms on the H100 (docs/performance.md, entry 66). 0 builds the former form, for
// comparison (kernels/message-variants.sh).
#ifndef MESSAGE_FIXED_F_ALL_ACTIVE
#define MESSAGE_FIXED_F_ALL_ACTIVE 1
#endif
template <int FC> PAINN_DEVICE bool feature_active(int f, int F) {
    return (MESSAGE_FIXED_F_ALL_ACTIVE && FC > 0) || f < F;
}

// How a kernel sums over a row. ROW_PLAIN (message.cu): from zero, edge after edge. The other two
// cut the row's L edges into chunks of C = max(SPLIT_MIN_EDGES, ceil(L / SPLIT_CLUSTER))
// consecutive edges, sum each chunk from zero in edge order and add the chunks' sums in chunk
// order: ROW_SPLIT (message_split.cu) gives chunk r of atom a's row to block r of cluster a, so
// that a row's edges run side by side; ROW_CHUNKED walks rows one after another as ROW_PLAIN
// does, for batches too large for a cluster per atom, and gives the same bits as ROW_SPLIT. C
// depends on the row alone, so a row gets the same bits in every structure and batch.
enum RowForm { ROW_PLAIN, ROW_SPLIT, ROW_CHUNKED };
#define SPLIT_CLUSTER 8
#ifndef SPLIT_MIN_EDGES  // overridable at compile time, for timing variants
#define SPLIT_MIN_EDGES 4
#endif

PAINN_DEVICE int chunk_edges(int len) { return max(SPLIT_MIN_EDGES, (len + SPLIT_CLUSTER - 1) / SPLIT_CLUSTER); }

// The edges a block walks: with ROW_SPLIT its chunk of the row, else the rows as given.
template <int FORM> struct SplitRow {
    int e0, e1, chunks;

    PAINN_DEVICE SplitRow(int rowBegin, int rowEnd) : e0(rowBegin), e1(rowEnd), chunks(0) {
        if constexpr (FORM == ROW_SPLIT) {
            int len = rowEnd - rowBegin, c = chunk_edges(len);
            chunks = (len + c - 1) / c;
            int r = (int)(blockIdx.x % SPLIT_CLUSTER);
            e0 = min(rowEnd, rowBegin + r * c);
            e1 = min(rowEnd, e0 + c);
        }
    }

    // This thread's NV sums over its block's chunk in, the row's totals out in block 0 (returns
    // whether this is block 0). Every block of the cluster must call it: the partial sums pass
    // through distributed shared memory (`scratch`, this block's span buffers, free by now).
    template <typename T, int NV, typename S> PAINN_DEVICE bool fold(T (&v)[NV], S* scratch) const {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
        if constexpr (FORM == ROW_SPLIT) {
            namespace cg = cooperative_groups;
            cg::cluster_group cluster = cg::this_cluster();
            static_assert(sizeof(S) >= NV * 256 * sizeof(T) / 2, "span buffers hold the partial sums");
            T* part = reinterpret_cast<T*>(scratch);
            int t = threadIdx.x, nt = blockDim.x;
            cp_async_wait<0>();
#pragma unroll
            for (int m = 0; m < NV; m++) part[m * nt + t] = v[m];
            cluster.sync();
            bool lead = cluster.block_rank() == 0;
            if (lead) {
                // every chunk's sums loaded before the first is added
                T in[SPLIT_CLUSTER][NV];
#pragma unroll
                for (int r = 1; r < SPLIT_CLUSTER; r++) {
                    if (r < chunks) {
                        const T* q = cluster.map_shared_rank(part, r);
#pragma unroll
                        for (int m = 0; m < NV; m++) in[r][m] = q[m * nt + t];
                    }
                }
#pragma unroll
                for (int r = 1; r < SPLIT_CLUSTER; r++)
                    if (r < chunks)
#pragma unroll
                        for (int m = 0; m < NV; m++) v[m] += in[r][m];
            }
            // no block leaves while block 0 may still read its shared memory
            cluster.sync();
            return lead;
        }
#endif
        return true;
    }
};

// ROW_CHUNKED: the row's totals of NV sums, chunk by chunk, as ROW_SPLIT's block 0 adds them;
// for the other forms nothing.
template <typename T, int NV, int FORM> struct ChunkFold {
    static constexpr bool ON = FORM == ROW_CHUNKED;
    T total[ON ? NV : 1];
    int next, size;
    bool any;

    // a row [begin, end) starts
    PAINN_DEVICE void row(int begin, int end) {
        if constexpr (ON) {
            size = chunk_edges(end - begin);
            next = begin + size;
            any = false;
        }
    }
    // whether edge e starts a chunk other than the row's first
    PAINN_DEVICE bool boundary(int e) const {
        if constexpr (ON) return e == next;
        return false;
    }
    // a chunk's sums (v) done: added to the total (the caller clears its sums for the next)
    PAINN_DEVICE void add(const T (&v)[NV]) {
        if constexpr (ON) {
#pragma unroll
            for (int m = 0; m < NV; m++) total[m] = any ? total[m] + v[m] : v[m];
            any = true;
            next += size;
        }
    }
    // the row's end: the last chunk's sums (v) in, the row's totals out (zero for an empty row)
    PAINN_DEVICE void last(T (&v)[NV]) const {
        if constexpr (ON) {
            if (any)
#pragma unroll
                for (int m = 0; m < NV; m++) v[m] = total[m] + v[m];
        }
    }
};

// This thread's feature column of [N][3F] rows (x, v, v̄'): the reals of a row starting at `at`
// (= row · 3F) are at + f, at + F + f, at + 2F + f. With F compiled in (FC > 0) the row is one
// address and its reals immediate offsets from it; otherwise 32-bit offsets, one per real.
template <typename T, int FC> struct Column3 {
    const T* __restrict__ p;
    unsigned o0, o1, o2;  // f, F + f, 2F + f
    PAINN_DEVICE void row(unsigned at, T (&out)[3]) const {
        if constexpr (FC > 0) {
            const T* r = p + o0 + at;
            out[0] = r[0];
            out[1] = r[FC];
            out[2] = r[2 * FC];
        } else {
            out[0] = p[at + o0];
            out[1] = p[at + o1];
            out[2] = p[at + o2];
        }
    }
};

template <typename T, int KMAX, bool TABLE, int FC, int FORM>
PAINN_DEVICE void painn_message_fwd_impl(int nAtoms, int perBlock, int Fin, int K, const int* __restrict__ rowStart,
                                         const int* __restrict__ neighbor, const T* __restrict__ W,
                                         const T* __restrict__ bias, int row0, const T* __restrict__ phi,
                                         const T* __restrict__ fc, const T* __restrict__ u,
                                         const T* __restrict__ x, const int* __restrict__ xRows,
                                         const T* __restrict__ s, const int* __restrict__ sRows,
                                         const T* __restrict__ v, T* __restrict__ sOut, T* __restrict__ vOut) {
    using SpanT = Span<T, KMAX, false>;
    const int F = FC > 0 ? FC : Fin;
    constexpr int D = Ahead<T, false>::D;
    __shared__ __align__(16) SpanT sp[2];
    // ROW_SPLIT: cluster a takes atom a's row, block r its chunk r (SplitRow)
    constexpr bool SPLIT = FORM == ROW_SPLIT;
    int a0 = SPLIT ? blockIdx.x / SPLIT_CLUSTER : blockIdx.x * perBlock;
    if (a0 >= nAtoms) return;
    int a1 = SPLIT ? a0 + 1 : min(nAtoms, a0 + perBlock);
    int f = threadIdx.x;
    bool active = feature_active<FC>(f, F);
    sp[0].clearPadding(K);
    sp[1].clearPadding(K);
    FilterRows<T, KMAX> w;
    w.load(W, bias, row0, F, K, f, active);
    // 32-bit offsets of this thread's three reals in a row of 3F (x and v alike); a thread past F
    // gathers column F - 1, so that its gathers need no condition (see the edge loop)
    unsigned F3 = 3u * F, o0 = f, o1 = F + f, o2 = 2 * F + f;
    unsigned g0 = active ? f : F - 1;
    Column3<T, FC> cx{x, g0, F + g0, 2 * F + g0}, cv{v, g0, F + g0, 2 * F + g0};

    // the atom whose row is being summed, and its residual s, v read ahead of its end
    int cur = a0;
    int rowEnd = rowStart[a0 + 1];
    int nextEnd = rowStart[min(a0 + 2, nAtoms)];
    T rs = 0, rv0 = 0, rv1 = 0, rv2 = 0;
    auto residual = [&](int i) {
        if (!active || i >= a1) return;
        rs = s[(size_t)(TABLE ? sRows[i] : i) * F + f];
        if (!TABLE) {
            rv0 = v[(size_t)i * F3 + o0];
            rv1 = v[(size_t)i * F3 + o1];
            rv2 = v[(size_t)i * F3 + o2];
        }
    };
    residual(cur);
    T sAcc = 0, v0 = 0, v1 = 0, v2 = 0;
    ChunkFold<T, 4, FORM> chunk;
    chunk.row(rowStart[a0], rowEnd);
    auto finish = [&]() {
        if constexpr (decltype(chunk)::ON) {
            T t[4] = {sAcc, v0, v1, v2};
            chunk.last(t);
            sAcc = t[0];
            v0 = t[1];
            v1 = t[2];
            v2 = t[3];
        }
        if (active) {
            sOut[(size_t)cur * F + f] = rs + sAcc;
            vOut[(size_t)cur * F3 + o0] = rv0 + v0;
            vOut[(size_t)cur * F3 + o1] = rv1 + v1;
            vOut[(size_t)cur * F3 + o2] = rv2 + v2;
        }
        sAcc = v0 = v1 = v2 = T(0);
        cur++;
        chunk.row(rowEnd, nextEnd);
        rowEnd = nextEnd;
        nextEnd = rowStart[min(cur + 2, nAtoms)];
        residual(cur);
    };

    SplitRow<FORM> split(rowStart[a0], rowStart[a1]);
    EdgeStream<T> es{split.e0, split.e1, K, neighbor, phi, nullptr, fc, nullptr, u};
    int spans = es.template spans<SpanT>();
    es.begin(sp);
    T nx[D][3], nv[D][3];
    for (int si = 0; si < spans; si++) {
        int e0 = es.E0 + si * SpanT::N, cnt = min(SpanT::N, es.E1 - e0);
        SpanT& S = es.template next<TABLE>(sp, si, spans, xRows);
        // the loads of edge q (past the span's end: its last edge again, so that no load is
        // conditional and the prefetched values need no merging)
        auto fetch = [&](int d, int q) {
            q = min(q, cnt - 1);
            unsigned xo = (unsigned)(TABLE ? S.xr[q] : S.j[q]) * F3;
            cx.row(xo, nx[d]);
            if (!TABLE) cv.row(xo, nv[d]);
        };
#pragma unroll
        for (int d = 0; d < D; d++) fetch(d, d);
        for (int q0 = 0; q0 < cnt; q0 += D) {
#pragma unroll
            for (int d = 0; d < D; d++) {
                int q = q0 + d;
                if (q >= cnt) break;
                while (e0 + q == rowEnd) finish();
                if (chunk.boundary(e0 + q)) {
                    T t[4] = {sAcc, v0, v1, v2};
                    chunk.add(t);
                    sAcc = v0 = v1 = v2 = T(0);
                }
                // slot d is read and refilled by every thread, outside any condition: inside one,
                // its registers would be merged where the condition ends, which waits for the
                // loads there, so that none stayed in flight (performance.md, entry 65)
                T xa = nx[d][0], xb = nx[d][1], xc = nx[d][2];
                T vj0 = TABLE ? T(0) : nv[d][0], vj1 = TABLE ? T(0) : nv[d][1], vj2 = TABLE ? T(0) : nv[d][2];
                fetch(d, q + D);
                if (!active) continue;
                T pa, pb, pc;
                w.pre(S.phi[q], pa, pb, pc);
                T e4[4];
                load4(S.sc[q], e4);
                T fce = e4[0];
                T a = pa * fce * xa, b = pb * fce * xb, c = pc * fce * xc;
                sAcc += a;
                if (TABLE) {
                    v0 += b * e4[1];
                    v1 += b * e4[2];
                    v2 += b * e4[3];
                } else {
                    v0 += b * e4[1] + c * vj0;
                    v1 += b * e4[2] + c * vj1;
                    v2 += b * e4[3] + c * vj2;
                }
            }
        }
        // every thread done with this span before the next but one is copied into its buffer
        __syncthreads();
    }
    if constexpr (SPLIT) {
        T sums[4] = {sAcc, v0, v1, v2};
        if (split.fold(sums, sp)) {
            sAcc = sums[0];
            v0 = sums[1];
            v1 = sums[2];
            v2 = sums[3];
            finish();
        }
    } else {
        while (cur < a1) finish();
    }
}

#define MESSAGE_FWD_PARAMS(T)                                                                      \
    (int nAtoms, int perBlock, int F, int K, const int* rowStart, const int* neighbor, const T* W,    \
     const T* bias, int row0, const T* phi, const T* fc, const T* u, const T* x, const int* xRows,    \
     const T* s, const int* sRows, const T* v, T* sOut, T* vOut)
#define MESSAGE_FWD_ARGS \
    (nAtoms, perBlock, F, K, rowStart, neighbor, W, bias, row0, phi, fc, u, x, xRows, s, sRows, v, sOut, vOut)

// Warp sums of eight values in 9 shuffles instead of 40: three butterfly steps leave value
// (lane & 7) summed over the lane's group of eight, two plain steps add the four groups.
template <typename T> PAINN_DEVICE T warp_sum8(T (&v)[8]) {
    int lane = threadIdx.x & 31;
    transpose_step<4>(v, lane);
    transpose_step<2>(v, lane);
    transpose_step<1>(v, lane);
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
// The per-edge sums over features are reduced two edges at a time by a shuffle tree per warp,
// then, once per span, over the warps in warp order by one thread per value.
// `first` writes the per-edge sums instead of adding to them (the first layer the backward
// pass visits), so no buffer needs clearing.
template <typename T, int KMAX, bool TABLE, int FC, int FORM>
PAINN_DEVICE void painn_message_bwd_impl(int nAtoms, int perBlock, int Fin, int K, const int* __restrict__ rowStart,
                                         const int* __restrict__ neighbor, const T* __restrict__ W,
                                         const T* __restrict__ bias, int row0, const T* __restrict__ phi,
                                         const T* __restrict__ dphi, const T* __restrict__ fc,
                                         const T* __restrict__ dfc, const T* __restrict__ u,
                                         const T* __restrict__ x, const int* __restrict__ xRows,
                                         const T* __restrict__ v, const T* __restrict__ gsMid,
                                         const T* __restrict__ gvMid, int first, T* __restrict__ gd,
                                         T* __restrict__ gU, T* __restrict__ gv, T* __restrict__ gx) {
    using SpanT = Span<T, KMAX, true>;
    const int F = FC > 0 ? FC : Fin;
    constexpr int D = Ahead<T, true>::D;
    static_assert(D % 2 == 0, "edges are reduced in pairs");
    __shared__ __align__(16) SpanT sp[2];
    __shared__ T red[SpanT::N][4][8];
    // ROW_SPLIT: cluster a takes atom a's row, block r its chunk r (SplitRow)
    constexpr bool SPLIT = FORM == ROW_SPLIT;
    int a0 = SPLIT ? blockIdx.x / SPLIT_CLUSTER : blockIdx.x * perBlock;
    if (a0 >= nAtoms) return;
    int a1 = SPLIT ? a0 + 1 : min(nAtoms, a0 + perBlock);
    int f = threadIdx.x;
    int lane = f & 31, warp = f >> 5, warps = (blockDim.x + 31) >> 5;
    bool active = feature_active<FC>(f, F);
    sp[0].clearPadding(K);
    sp[1].clearPadding(K);
    FilterRows<T, KMAX> w;
    w.load(W, bias, row0, F, K, f, active);
    unsigned F3 = 3u * F, o0 = f, o1 = F + f, o2 = 2 * F + f;
    Column3<T, FC> cx{x, o0, o1, o2}, cv{v, o0, o1, o2}, cg{gvMid, o0, o1, o2};

    // atom a's own values, read when its row begins
    int cur = a0;
    int rowEnd = rowStart[a0 + 1];
    int nextEnd = rowStart[min(a0 + 2, nAtoms)];
    T gs = 0, g0 = 0, g1 = 0, g2 = 0, xaa = 0, xba = 0, xca = 0, va0 = 0, va1 = 0, va2 = 0;
    auto own = [&](int a) {
        if (!active || a >= a1) return;
        gs = gsMid[(size_t)a * F + f];
        g0 = gvMid[(size_t)a * F3 + o0];
        g1 = gvMid[(size_t)a * F3 + o1];
        g2 = gvMid[(size_t)a * F3 + o2];
        if (!TABLE) {
            xaa = x[(size_t)a * F3 + o0];
            xba = x[(size_t)a * F3 + o1];
            xca = x[(size_t)a * F3 + o2];
            va0 = v[(size_t)a * F3 + o0];
            va1 = v[(size_t)a * F3 + o1];
            va2 = v[(size_t)a * F3 + o2];
        }
    };
    own(cur);
    T acc0 = 0, acc1 = 0, acc2 = 0, gxa = 0, gxb = 0, gxc = 0;
    // layer 0 has no sums over the row: nothing to fold
    ChunkFold<T, 6, TABLE ? ROW_PLAIN : FORM> chunk;
    chunk.row(rowStart[a0], rowEnd);
    auto finish = [&]() {
        if constexpr (decltype(chunk)::ON) {
            T t[6] = {acc0, acc1, acc2, gxa, gxb, gxc};
            chunk.last(t);
            acc0 = t[0];
            acc1 = t[1];
            acc2 = t[2];
            gxa = t[3];
            gxb = t[4];
            gxc = t[5];
        }
        if (!TABLE && active) {
            gv[(size_t)cur * F3 + o0] = g0 + acc0;
            gv[(size_t)cur * F3 + o1] = g1 + acc1;
            gv[(size_t)cur * F3 + o2] = g2 + acc2;
            gx[(size_t)cur * F3 + o0] = gxa;
            gx[(size_t)cur * F3 + o1] = gxb;
            gx[(size_t)cur * F3 + o2] = gxc;
        }
        acc0 = acc1 = acc2 = gxa = gxb = gxc = T(0);
        cur++;
        chunk.row(rowEnd, nextEnd);
        rowEnd = nextEnd;
        nextEnd = rowStart[min(cur + 2, nAtoms)];
        own(cur);
    };

    SplitRow<FORM> split(rowStart[a0], rowStart[a1]);
    EdgeStream<T> es{split.e0, split.e1, K, neighbor, phi, dphi, fc, dfc, u};
    int spans = es.template spans<SpanT>();
    es.begin(sp);
    // neighbor rows of D edges ahead: x_j, v_j and (neighbour part) s̄'_j, v̄'_j
    T nx[D][3], nv[D][3], ngs[D], ngv[D][3];
    T part[8];
#pragma unroll
    for (int m = 0; m < 8; m++) part[m] = T(0);
    for (int si = 0; si < spans; si++) {
        int e0 = es.E0 + si * SpanT::N, cnt = min(SpanT::N, es.E1 - e0);
        SpanT& S = es.template next<TABLE>(sp, si, spans, xRows);
        auto fetch = [&](int d, int q) {
            q = min(q, cnt - 1);
            unsigned j = S.j[q];
            unsigned xo = (unsigned)(TABLE ? S.xr[q] : j) * F3, vo = j * F3;
            cx.row(xo, nx[d]);
            if (!TABLE) {
                cv.row(vo, nv[d]);
                ngs[d] = FC > 0 ? (gsMid + o0)[j * F] : gsMid[j * F + o0];
                cg.row(vo, ngv[d]);
            }
        };
        if (active) {
#pragma unroll
            for (int d = 0; d < D; d++) fetch(d, d);
        }
        for (int q0 = 0; q0 < cnt; q0 += D) {
#pragma unroll
            for (int d = 0; d < D; d++) {
                int q = q0 + d;
                if (q >= cnt) break;
                while (e0 + q == rowEnd) finish();
                if (chunk.boundary(e0 + q)) {
                    T t[6] = {acc0, acc1, acc2, gxa, gxb, gxc};
                    chunk.add(t);
                    acc0 = acc1 = acc2 = gxa = gxb = gxc = T(0);
                }
                if (active) {
                    T xaj = nx[d][0], xbj = nx[d][1], xcj = nx[d][2];
                    T vj0 = 0, vj1 = 0, vj2 = 0, gsj = 0, h0 = 0, h1 = 0, h2 = 0;
                    if (!TABLE) {
                        vj0 = nv[d][0];
                        vj1 = nv[d][1];
                        vj2 = nv[d][2];
                        gsj = ngs[d];
                        h0 = ngv[d][0];
                        h1 = ngv[d][1];
                        h2 = ngv[d][2];
                    }
                    fetch(d, q + D);
                    T pa, pb, pc, da, db, dc;
                    w.pre(S.phi[q], pa, pb, pc);
                    w.dpre(S.dphi[q], da, db, dc);
                    T e8[8];
                    load4(S.sc[q], *reinterpret_cast<T(*)[4]>(&e8[0]));
                    load4(S.sc[q] + 4, *reinterpret_cast<T(*)[4]>(&e8[4]));
                    T fce = e8[0], dfce = e8[1], ux = e8[2], uy = e8[3], uz = e8[4];
                    T Wb = pb * fce;
                    // as the centre of e = (a, j)
                    T gb = g0 * ux + g1 * uy + g2 * uz;
                    T dd = gs * xaj * (da * fce + pa * dfce) + gb * xbj * (db * fce + pb * dfce);
                    if (!TABLE) {
                        T gc3 = g0 * vj0 + g1 * vj1 + g2 * vj2;
                        dd += gc3 * xcj * (dc * fce + pc * dfce);
                    }
                    part[4 * (d & 1)] = dd;
                    T t = Wb * xbj;
                    part[4 * (d & 1) + 1] = g0 * t;
                    part[4 * (d & 1) + 2] = g1 * t;
                    part[4 * (d & 1) + 3] = g2 * t;
                    // as the neighbour of (j, a)
                    if (!TABLE) {
                        T Wa = pa * fce, Wc = pc * fce;
                        T wcx = Wc * xca;
                        acc0 += h0 * wcx;
                        acc1 += h1 * wcx;
                        acc2 += h2 * wcx;
                        gxa += gsj * Wa;
                        gxb -= (h0 * ux + h1 * uy + h2 * uz) * Wb;
                        gxc += (h0 * va0 + h1 * va1 + h2 * va2) * Wc;
                    }
                }
                if ((d & 1) || q + 1 == cnt) {
                    // this edge and the one before (or this last one alone): 8 sums, lane m holds value m
                    T sum = warp_sum8(part);
                    int qe = q & ~1;
                    if (lane < 8 && qe + (lane >> 2) < cnt) red[qe + (lane >> 2)][lane & 3][warp] = sum;
#pragma unroll
                    for (int m = 0; m < 8; m++) part[m] = T(0);
                }
            }
        }
        __syncthreads();
        // the warps' partial sums, added in warp order, one thread per value
        for (int t = threadIdx.x; t < 4 * cnt; t += blockDim.x) {
            int q = t >> 2, m = t & 3;
            T sum = 0;
            for (int r = 0; r < warps; r++) sum += red[q][m][r];
            int e = e0 + q;
            if (m == 0) gd[e] = first ? sum : gd[e] + sum;
            else gU[3 * e + m - 1] = first ? sum : gU[3 * e + m - 1] + sum;
        }
        // (the next span's barrier orders these reads before the next writes of red and of this buffer)
    }
    if constexpr (SPLIT) {
        // layer 0 has no sums over the row: its chunks need no folding
        if constexpr (!TABLE) {
            T sums[6] = {acc0, acc1, acc2, gxa, gxb, gxc};
            if (split.fold(sums, sp)) {
                acc0 = sums[0];
                acc1 = sums[1];
                acc2 = sums[2];
                gxa = sums[3];
                gxb = sums[4];
                gxc = sums[5];
                finish();
            }
        }
    } else {
        while (cur < a1) finish();
    }
}

#define MESSAGE_BWD_PARAMS(T)                                                                      \
    (int nAtoms, int perBlock, int F, int K, const int* rowStart, const int* neighbor, const T* W,    \
     const T* bias, int row0, const T* phi, const T* dphi, const T* fc, const T* dfc, const T* u,     \
     const T* x, const int* xRows, const T* v, const T* gsMid, const T* gvMid, int first, T* gd,      \
     T* gU, T* gv, T* gx)
#define MESSAGE_BWD_ARGS                                                                           \
    (nAtoms, perBlock, F, K, rowStart, neighbor, W, bias, row0, phi, dphi, fc, dfc, u, x, xRows, v,   \
     gsMid, gvMid, first, gd, gU, gv, gx)
