// The whole model — edge features, forward pass, readout, backward pass, forces and virial — of one
// small structure in one kernel, on one cluster of C thread blocks (Hopper, sm_90).
//
// Why: a small molecule's evaluation is about fifty dependent kernels of a few microseconds each,
// mostly launch and memory latency. Here the cluster splits every layer by feature: block r owns
// the features [r·F/C, (r+1)·F/C) and every output column that belongs to them (x^a, x^b, x^c of
// feature f, V and U of f, p, q and r of f, ...). The message, the norm, the update and their
// backward steps touch only their own feature's columns, so they need no other block; a dense
// layer needs the whole input row, so it waits at a cluster barrier (a hardware barrier, far
// cheaper than a kernel boundary). About thirty barriers replace about fifty launches.
//
// The tensors are the ones GpuCalculator's kernel-by-kernel path writes (same buffers, same
// layouts: AtomBuffers, EdgeBuffers), so that the same stage-by-stage test checks both. Data
// written by another block is read with ld.global.cg (L2, never a stale L1 line); weights and the
// neighbor list, which nothing writes here, through the read-only path.
//
// ∂E/∂d and ∂E/∂u of an edge are sums over all features: each block writes its features' share to
// gdPart[r][e], gUPart[r][e][3], and block 0 adds the C shares in rank order at the end. No
// floating-point atomics anywhere: the same input gives the same bits.
//
// Limits (FusedKernels.accepts): n·ceil(F/C) ≤ FUSED_THREADS (one message item per thread), at
// most FUSED_LMAX layers, a readout of two dense layers, and an edge capacity whose ∂E/∂r and
// reverse indices fit in block 0's shared memory at the end (28 bytes per edge).
#include "geometry.cuh"
#include "radial.cuh"

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
#include <cooperative_groups.h>
namespace cg = cooperative_groups;
#define FUSED_SM90 1
#else
#define FUSED_SM90 0
#endif

#define FUSED_THREADS 512
#define FUSED_LMAX 8
#define FUSED_KSLICES 16

// Every pointer the kernel touches, in the order FusedKernels.java writes them. void*: the same
// table serves float and double.
struct FusedLayer {
    const void *c1w, *c1b, *c2w, *c2b, *mixW, *m1w, *m1b, *m2w, *m2b;
    void *s, *v, *hPre, *x, *sMid, *vMid, *vu, *norm, *dot, *a3, *y;
    void *gs, *gv, *gsMid, *gvMid;
};

struct FusedArgs {
    const double* cell;
    const int* z;
    const int* rowStart;
    const int* center;
    const int* neighbor;
    const int* image;
    const int* reverse;
    void *d, *u, *phi, *dphi, *fc, *dfc, *gd, *gU, *gdPart, *gUPart;
    const void *embedding, *mu, *sigma, *filterW, *filterB, *xTable;
    const double* shift;
    const void *outW0, *outB0, *outW1, *outB1;
    void *outPre, *yOut, *gRead;
    void *sL, *vL, *gsL;
    void *ctx, *gy, *gh, *gctx, *gvu, *gx;
    double *energy, *virial, *energies, *forces;
    // clock64() of block 0 at each phase boundary, for FusedPhaseProbe; null: not recorded
    long long* marks;
    FusedLayer layer[FUSED_LMAX];
};

struct FusedDims {
    const double* pos;  // a parameter, not in the table: molecular dynamics keeps its own positions
    int n, F, K, L, H, basis, shared, ecap, smem;
    double rc, eps;
};

#define FUSED_PARAMS                                                                                       \
    (const FusedArgs* __restrict__ a, const double* __restrict__ pos, int n, int F, int K, int L, int H, int basis, int shared, int ecap, int smem, \
     double rc, double eps)
#define FUSED_DIMS FusedDims{pos, n, F, K, L, H, basis, shared, ecap, smem, rc, eps}

template <typename T> PAINN_DEVICE T ldcg(const void* p, size_t i) { return __ldcg(static_cast<const T*>(p) + i); }
template <typename T> PAINN_DEVICE T ldw(const void* p, size_t i) { return __ldg(static_cast<const T*>(p) + i); }
template <typename T> PAINN_DEVICE void st(void* p, size_t i, T v) { static_cast<T*>(p)[i] = v; }

#if FUSED_SM90

PAINN_DEVICE void cluster_barrier() { cg::this_cluster().sync(); }

// Block 0's clock inside the first dense layers (FusedPhaseProbe): staging of weights, of inputs,
// products, sums; null when not recorded.
__shared__ long long* subMarks;
__shared__ int subCount;

// The block's dynamic shared memory. Out-of-line functions address it from here, by offsets:
// a pointer passed in across a call is generic, and its loads and stores then take the slower
// generic path instead of the shared-memory instructions.
extern __shared__ __align__(16) unsigned char smemRaw[];
template <typename T> PAINN_DEVICE T* smem_base() { return reinterpret_cast<T*>(smemRaw); }
PAINN_DEVICE void submark() {
    if (subMarks != nullptr && threadIdx.x == 0 && subCount < 30) subMarks[subCount++] = clock64();
}
// FUSED_PROBE_MESSAGE=1 builds record the steps of the message phases instead of the dense ones
#ifndef FUSED_PROBE_MESSAGE
#define FUSED_PROBE_MESSAGE 0
#endif
PAINN_DEVICE void submark_dense() {
    if (!FUSED_PROBE_MESSAGE) submark();
}
PAINN_DEVICE void submark_message() {
    if (FUSED_PROBE_MESSAGE) submark();
}

// Records block 0's clock at a phase boundary (FusedPhaseProbe prints the differences).
PAINN_DEVICE void mark(const FusedArgs& A, int r, int& phase) {
    if (A.marks != nullptr && r == 0 && threadIdx.x == 0) A.marks[phase] = clock64();
    phase++;
}

// This block's features: [f0, f1) of F.
struct Slice {
    int f0, f1;
    PAINN_DEVICE Slice(int F, int r, int C) : f0(r * F / C), f1((r + 1) * F / C) {}
    PAINN_DEVICE int size() const { return f1 - f0; }
};

// t / d for a divisor fixed over a phase, without the ~20-instruction integer division:
// exact for 0 ≤ t < 2^22 (the float quotient's error stays below the 0.5/d margin the +0.5 leaves).
struct FastDiv {
    int d;
    float inv;
    PAINN_DEVICE explicit FastDiv(int d) : d(d), inv(1.0f / (float)d) {}
    PAINN_DEVICE int div(int t) const { return __float2int_rz(((float)t + 0.5f) * inv); }
};

// Copies count values into shared memory, each thread issuing B loads before it stores any:
// a loop of single loads would wait out one L2 latency per element it copies.
template <int B, typename Load, typename Store>
PAINN_DEVICE void staged(int count, const Load& load, const Store& store) {
    for (int base = threadIdx.x; base < count; base += B * blockDim.x) {
        decltype(load(0)) v[B];
#pragma unroll
        for (int q = 0; q < B; q++) {
            int t = base + q * blockDim.x;
            if (t < count) v[q] = load(t);
        }
#pragma unroll
        for (int q = 0; q < B; q++) {
            int t = base + q * blockDim.x;
            if (t < count) store(t, v[q]);
        }
    }
}
// loads in flight per thread: 16 bytes of registers in float, which keeps the unrolled copies short
// (code size, below), 64 in double
template <typename T> constexpr int kBatch = sizeof(T) == 4 ? 4 : 8;

// The float kernel runs its larger helpers out of line, as calls: inlined at every call site the
// kernel was 605 KB of machine code, run about once per call, and its warps stalled on
// instruction fetch (ncu: 4.7 of 14 cycles between issues). The double kernel keeps them inline:
// there the calls cost more than the fetch they save (performance.md, entry 60).
template <typename T> constexpr bool kOutOfLine = sizeof(T) == 4;

// A(m, k) of a dense layer's input: a tensor written in this kernel, optionally through silu.
template <typename T>
struct Input {
    const void* p;
    int ld;
    bool siluIn;
    PAINN_DEVICE T operator()(int m, int k) const {
        T v = ldcg<T>(p, (size_t)m * ld + k);
        return siluIn ? silu(v) : v;
    }
};

// out(m, o) = Σ_k A(m, k) B(k, o) for this block's columns o: nblk blocks of width bw, of which
// the block owns [c0, c1) in each. B is a dense layer's weight: forward, B(k, o) = W[o][k]
// (transposed read, ldW = in); backward, B(k, o) = W[k][o] (ldW = the layer's inputs). The
// weight slice and the input rows are copied into shared memory, rows in chunks that fit, and
// epi(m, o, sum) receives every result.
//
// The copies are asynchronous (cp.async, 16 bytes each, straight to shared memory): all of a
// phase's weights and rows are in flight at once, so the phase waits on memory once. The weights
// depend on nothing the cluster computes, so they are issued before the barrier that precedes
// the phase (dense_phase's `before`), and the barrier's wait hides their latency. Where an
// operand is not 16-byte aligned (widths that are not a multiple of four floats), the copy falls
// back to loads through registers.
//
// Layouts, in units of T: A as [m][k] and forward weights as [c][k] (rows of W, as in memory),
// each row padded by 16 bytes so that the lanes reading 16 bytes of consecutive rows meet in no
// bank; backward weights as [k][c] (runs of W's rows, unpadded: consecutive lanes read
// consecutive columns). k is padded with zeros to a multiple of kVec so that the products read
// whole vectors.
//
// Why split: the kernel runs each phase's code about once per call, so its cost is partly the
// fetch of its machine code. Inlined at each of its twenty call sites, with its staging
// unrolled, the dense phase made the kernel 605 KB; in float, dense_begin and dense_chunk below
// are one copy each, called, and only the epilogue stays at the call site (kOutOfLine).
template <typename T> constexpr int kVec = 16 / (int)sizeof(T);

template <typename T> struct Vec16;
template <> struct Vec16<float> {
    float4 v;
    PAINN_DEVICE float operator[](int i) const { return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w; }
};
template <> struct Vec16<double> {
    double2 v;
    PAINN_DEVICE double operator[](int i) const { return i == 0 ? v.x : v.y; }
};
template <typename T> PAINN_DEVICE Vec16<T> ld16(const T* p) {
    Vec16<T> r;
    r.v = *reinterpret_cast<const decltype(r.v)*>(p);
    return r;
}
PAINN_DEVICE bool aligned16(const void* p) { return (reinterpret_cast<size_t>(p) & 15) == 0; }
PAINN_DEVICE int round_up(int x, int m) { return (x + m - 1) / m * m; }

// Waits until every asynchronous copy this thread issued has landed (a barrier then publishes them).
PAINN_DEVICE void async_land() {
    cp_async_commit();
    cp_async_wait<0>();
}

template <typename T>
struct DenseRun {
    int As, P;  // offsets into the dynamic shared memory, in units of T (the weights start at 0)
    int Kin, kr, kp, ncols, nc, bw, c0, rows;
    PAINN_DEVICE int column(const FastDiv& byNc, int c) const {
        int b = byNc.div(c);
        return b * bw + c0 + (c - b * nc);
    }
};

// Sizes the run and issues the copies of the block's weight slice (not waited for here).
template <typename T, bool FORWARD>
PAINN_DEVICE DenseRun<T> dense_begin_body(int cap, int Kin, const void* W, int ldW, int nblk, int bw, int c0, int c1) {
    constexpr int V = kVec<T>;
    DenseRun<T> run;
    int nc = c1 - c0, ncols = nblk * nc;
    run.Kin = Kin;
    run.kr = round_up(Kin, V);
    run.kp = run.kr + V;
    run.ncols = ncols;
    run.nc = nc;
    run.bw = bw;
    run.c0 = c0;
    int wElems = round_up(FORWARD ? ncols * run.kp : run.kr * ncols, V);
    run.As = wElems;
    run.rows = (cap - wElems) / (run.kp + FUSED_KSLICES * ncols);
    run.P = run.As + run.rows * run.kp;
    T* Ws = smem_base<T>();
    const T* Wg = static_cast<const T*>(W);
    FastDiv byNc(nc);
    __syncthreads();  // the previous phase's readers of shared memory are done
    submark_dense();
    bool async = aligned16(W) && ldW % V == 0 &&
                 (FORWARD ? Kin % V == 0 : (c0 % V == 0 && bw % V == 0 && nc % V == 0));
    if (async) {
        if (FORWARD) {  // row o of W, Kin long, to row c
            int per = Kin / V;
            FastDiv byPer(per);
            for (int t = threadIdx.x; t < ncols * per; t += blockDim.x) {
                int c = byPer.div(t), q = t - c * per;
                cp_async16(Ws + c * run.kp + q * V, Wg + (size_t)run.column(byNc, c) * ldW + q * V);
            }
        } else {  // row k of W: nblk runs of nc, to row k
            int per = nc / V, rowChunks = nblk * per;
            FastDiv byRow(rowChunks), byPer(per);
            for (int t = threadIdx.x; t < Kin * rowChunks; t += blockDim.x) {
                int k = byRow.div(t), u = t - k * rowChunks;
                int b = byPer.div(u), q = u - b * per;
                cp_async16(Ws + k * ncols + b * nc + q * V, Wg + (size_t)k * ldW + b * bw + c0 + q * V);
            }
        }
    } else {
        FastDiv byKr(run.kr), byCols(ncols);
        int count = FORWARD ? ncols * run.kr : run.kr * ncols;
        staged<kBatch<T>>(
            count,
            [&](int t) {
                int c, k;
                if (FORWARD) {
                    c = byKr.div(t);
                    k = t - c * run.kr;
                } else {
                    k = byCols.div(t);
                    c = t - k * ncols;
                }
                if (k >= Kin) return T(0);
                int o = run.column(byNc, c);
                return FORWARD ? ldw<T>(W, (size_t)o * ldW + k) : ldw<T>(W, (size_t)k * ldW + o);
            },
            [&](int t, T v) {
                if (FORWARD) {
                    int c = byKr.div(t);
                    Ws[c * run.kp + t - c * run.kr] = v;
                } else {
                    Ws[t] = v;
                }
            });
    }
    if (!FORWARD && async) {
        for (int t = threadIdx.x; t < (run.kr - Kin) * ncols; t += blockDim.x) Ws[Kin * ncols + t] = T(0);
    }
    return run;
}
template <typename T, bool FORWARD>
__device__ __noinline__ DenseRun<T> dense_begin_call(int cap, int Kin, const void* W, int ldW, int nblk, int bw, int c0,
                                                     int c1) {
    return dense_begin_body<T, FORWARD>(cap, Kin, W, ldW, nblk, bw, c0, c1);
}
template <typename T, bool FORWARD>
PAINN_DEVICE DenseRun<T> dense_begin(int cap, int Kin, const void* W, int ldW, int nblk, int bw, int c0, int c1) {
    if constexpr (kOutOfLine<T>) return dense_begin_call<T, FORWARD>(cap, Kin, W, ldW, nblk, bw, c0, c1);
    else return dense_begin_body<T, FORWARD>(cap, Kin, W, ldW, nblk, bw, c0, c1);
}

// Rows [m0, m0 + mc) of the input: copied (with the weights still in flight from dense_begin),
// multiplied, and their sums left at P[m·ncols + c], written by the thread that dense_phase's
// epilogue loop gives the same t (no barrier needed before it reads them). Returns mc.
template <typename T, bool FORWARD>
PAINN_DEVICE int dense_chunk_body(const DenseRun<T>& run, const Input<T>& a, int m0, int M) {
    constexpr int V = kVec<T>;
    int Kin = run.Kin, kr = run.kr, kp = run.kp, ncols = run.ncols, rows = run.rows;
    T* As = smem_base<T>() + run.As;
    const T* Ws = smem_base<T>();
    int mc = min(rows, M - m0);
    if (m0 > 0) __syncthreads();
    const T* Ag = static_cast<const T*>(a.p) + (size_t)m0 * a.ld;
    bool async = aligned16(a.p) && a.ld % V == 0 && Kin % V == 0;
    if (async) {
        int per = Kin / V;
        FastDiv byPer(per);
        for (int t = threadIdx.x; t < mc * per; t += blockDim.x) {
            int m = byPer.div(t), q = t - m * per;
            cp_async16(As + m * kp + q * V, Ag + (size_t)m * a.ld + q * V);
        }
    } else {
        FastDiv byKr(kr);
        staged<kBatch<T>>(
            mc * kr,
            [&](int t) {
                int m = byKr.div(t), k = t - m * kr;
                return k < Kin ? a(m0 + m, k) : T(0);
            },
            [&](int t, T v) {
                int m = byKr.div(t);
                As[m * kp + t - m * kr] = v;
            });
    }
    async_land();
    __syncthreads();
    if (async && a.siluIn) {
        FastDiv byKin(Kin);
        for (int t = threadIdx.x; t < mc * Kin; t += blockDim.x) {
            int m = byKin.div(t);
            T* p = As + m * kp + t - m * Kin;
            *p = silu(*p);
        }
        __syncthreads();
    }
    submark_dense();
    // Tiles of 2 rows × 2 columns per thread: rows m and m + rg, columns c and c + cg, so that
    // consecutive threads read consecutive (padded) weight rows; the k range is split into S
    // slices so that few rows still keep the block's threads busy, and the S partial sums of an
    // output are added in slice order.
    int rg = (mc + 1) >> 1, cg = (ncols + 1) >> 1, tiles = rg * cg;
    int steps = kr / V;
    int S = max(1, min(min((int)blockDim.x / tiles, steps), FUSED_KSLICES));
    int span = (steps + S - 1) / S;
    S = (steps + span - 1) / span;
    FastDiv byTiles(tiles), byCg(cg);
    T* P = smem_base<T>() + run.P;
    for (int t = threadIdx.x; t < tiles * S; t += blockDim.x) {
        int sl = byTiles.div(t), u = t - sl * tiles;
        int mi = byCg.div(u), ci = u - mi * cg;
        int m1 = mi + rg, c1 = ci + cg;
        bool twoR = m1 < mc, twoC = c1 < ncols;
        const T* a0 = As + mi * kp;
        const T* a1 = As + (twoR ? m1 : mi) * kp;
        T s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        int q = sl * span, qEnd = min(steps, q + span);
        if (FORWARD) {
            const T* w0 = Ws + ci * kp;
            const T* w1 = Ws + (twoC ? c1 : ci) * kp;
            for (; q < qEnd; q++) {
                Vec16<T> x0 = ld16(a0 + q * V), x1 = ld16(a1 + q * V), y0 = ld16(w0 + q * V), y1 = ld16(w1 + q * V);
#pragma unroll
                for (int j = 0; j < V; j++) {
                    s00 += x0[j] * y0[j];
                    s01 += x0[j] * y1[j];
                    s10 += x1[j] * y0[j];
                    s11 += x1[j] * y1[j];
                }
            }
        } else {
            int cb = twoC ? c1 : ci;
            for (; q < qEnd; q++) {
                Vec16<T> x0 = ld16(a0 + q * V), x1 = ld16(a1 + q * V);
#pragma unroll
                for (int j = 0; j < V; j++) {
                    const T* wk = Ws + (q * V + j) * ncols;
                    T y0 = wk[ci], y1 = wk[cb];
                    s00 += x0[j] * y0;
                    s01 += x0[j] * y1;
                    s10 += x1[j] * y0;
                    s11 += x1[j] * y1;
                }
            }
        }
        T* p = P + sl * rows * ncols;
        p[mi * ncols + ci] = s00;
        if (twoC) p[mi * ncols + c1] = s01;
        if (twoR) p[m1 * ncols + ci] = s10;
        if (twoR && twoC) p[m1 * ncols + c1] = s11;
    }
    __syncthreads();
    submark_dense();
    // slice 0's place of each output takes the sum; only its own thread reads any slice of it
    FastDiv byCols(ncols);
    for (int t = threadIdx.x; t < mc * ncols; t += blockDim.x) {
        T acc = 0;
        for (int sl = 0; sl < S; sl++) acc += P[sl * rows * ncols + t];
        P[t] = acc;
    }
    return mc;
}
template <typename T, bool FORWARD>
__device__ __noinline__ int dense_chunk_call(const DenseRun<T>& run, Input<T> a, int m0, int M) {
    return dense_chunk_body<T, FORWARD>(run, a, m0, M);
}
template <typename T, bool FORWARD>
PAINN_DEVICE int dense_chunk(const DenseRun<T>& run, const Input<T>& a, int m0, int M) {
    if constexpr (kOutOfLine<T>) return dense_chunk_call<T, FORWARD>(run, a, m0, M);
    else return dense_chunk_body<T, FORWARD>(run, a, m0, M);
}

// Nothing to wait for before the rows (dense_phase's `before`)
struct NoWait {
    PAINN_DEVICE void operator()() const {}
};

// before() runs once the weights are in flight and before the rows are copied: a cluster
// barrier there lets the weights arrive while the block waits for the others.
template <typename T, bool FORWARD, typename Epi, typename Before = NoWait>
PAINN_DEVICE void dense_phase(int cap, int M, int Kin, const Input<T>& a, const void* W, int ldW, int nblk, int bw,
                              int c0, int c1, const Epi& epi, const Before& before = Before()) {
    if (nblk * (c1 - c0) <= 0) {
        before();
        return;
    }
    DenseRun<T> run = dense_begin<T, FORWARD>(cap, Kin, W, ldW, nblk, bw, c0, c1);
    before();
    FastDiv byCols(run.ncols), byNc(run.nc);
    const T* P = smem_base<T>() + run.P;
    for (int m0 = 0; m0 < M; m0 += run.rows) {
        int mc = dense_chunk<T, FORWARD>(run, a, m0, M);
        for (int t = threadIdx.x; t < mc * run.ncols; t += blockDim.x) {
            int m = byCols.div(t), c = t - m * run.ncols;
            epi(m0 + m, run.column(byNc, c), P[m * run.ncols + c]);
        }
    }
    __syncthreads();
    submark_dense();
}

// Runs of len elements, run r from src(r) to the dynamic shared memory at element offset dst(r),
// as 16-byte asynchronous copies (the last of a run zero-filled past its end): every run's start,
// in global and in shared memory, must be 16-byte aligned. Landed by async_land() (above).
template <typename E, typename Src, typename Dst>
PAINN_DEVICE void async_runs(int runs, int len, const Src& src, const Dst& dst) {
    constexpr int V = 16 / (int)sizeof(E);
    int per = (len + V - 1) / V;
    FastDiv byPer(per);
    for (int t = threadIdx.x; t < runs * per; t += blockDim.x) {
        int r = byPer.div(t), q = t - r * per;
        int left = min(len - q * V, V);
        cp_async16_fill(reinterpret_cast<E*>(smemRaw) + dst(r) + q * V, src(r) + q * V, left * (int)sizeof(E));
    }
}

// Shared-memory layout of the message phases, in units of T: the block's features of every
// atom (x, v, and in the backward pass s̄', v̄'), its filter rows, then a chunk of edges with
// their radial values, their filter W (and ∂W/∂d) for the block's features, and the backward
// pass's per-feature partial sums.
template <typename T> struct MessageSmem;
template <typename T>
__device__ __noinline__ void message_load_own(MessageSmem<T>& m, const FusedArgs& A, const FusedLayer& Ly, int l, int n,
                                              int F, const Slice& s, bool backward);
template <typename T>
__device__ __noinline__ void message_load_filter(MessageSmem<T>& m, const FusedArgs& A, const FusedDims& D, int row0,
                                                 const Slice& s);
template <typename T>
__device__ __noinline__ void message_load_edges(MessageSmem<T>& m, const FusedArgs& A, int e0, int cnt, bool backward);
template <typename T> __device__ __noinline__ void message_filters(MessageSmem<T>& m, int cnt, bool derivative);

template <typename T>
struct MessageSmem {
    T *xo, *vo, *go, *gvo, *wf, *bf, *phi, *dphi, *W, *dW, *red, *fc, *dfc, *u;
    int *j, *c;
    int chunk, Fs, K;
    T* base;
    // element offsets from the dynamic shared memory's start, for async_runs
    PAINN_DEVICE int off(const T* p) const { return (int)(p - base); }
    PAINN_DEVICE int offInt(const int* p) const {
        return (int)((reinterpret_cast<const unsigned char*>(p) - reinterpret_cast<const unsigned char*>(base)) / 4);
    }
    // the out-of-line methods below take their pointers through this, as shared-memory addresses
    template <typename P> PAINN_DEVICE P* sh(P* p) const {
        return reinterpret_cast<P*>(smemRaw + (reinterpret_cast<unsigned char*>(p) - reinterpret_cast<unsigned char*>(base)));
    }
    PAINN_DEVICE MessageSmem(T* sm, int cap, int n, int Fs, int K) : Fs(Fs), K(K), base(sm) {
        xo = sm;
        vo = xo + n * 3 * Fs;
        go = vo + n * 3 * Fs;
        gvo = go + n * Fs;
        wf = gvo + n * 3 * Fs;
        bf = wf + 3 * Fs * K;
        int fixed = round_up((int)(bf + 3 * Fs - sm), 4);  // the edge chunk starts 16-byte aligned
        T* e = sm + fixed;
        chunk = (cap - fixed) / (2 * K + 10 * Fs + 7) / 4 * 4;  // 16-byte aligned arrays and chunk starts
        phi = e;
        dphi = phi + chunk * K;
        W = dphi + chunk * K;
        dW = W + chunk * 3 * Fs;
        red = dW + chunk * 3 * Fs;
        fc = red + chunk * 4 * Fs;
        dfc = fc + chunk;
        u = dfc + chunk;
        j = reinterpret_cast<int*>(u + 3 * chunk);
        c = j + chunk;
    }

    // x and v of the block's features for every atom (and s̄', v̄' in the backward pass)
    PAINN_DEVICE void loadOwnBody(const FusedArgs& A, const FusedLayer& Ly, int l, int n, int F, const Slice& s,
                              bool backward) {
        T *xo = sh(this->xo), *vo = sh(this->vo), *go = sh(this->go), *gvo = sh(this->gvo);
        int Fs = this->Fs;
        constexpr int V = kVec<T>;
        const void* xSrc = l == 0 ? A.xTable : Ly.x;
        if (F % V == 0 && s.f0 % V == 0 && Fs % V == 0 && aligned16(xSrc) && (l == 0 || aligned16(Ly.v)) &&
            (!backward || (aligned16(Ly.gvMid) && aligned16(Ly.gsMid)))) {
            // every (atom, x^a/x^b/x^c) a run of Fs features; landed with the first edge chunk
            FastDiv by3(3);
            int ox = off(this->xo), ov = off(this->vo), og = off(this->go), ogv = off(this->gvo);
            async_runs<T>(
                n * 3, Fs,
                [&](int r) {
                    int j = by3.div(r), b = r - 3 * j;
                    int row = l == 0 ? __ldg(A.z + j) : j;
                    return static_cast<const T*>(xSrc) + (size_t)row * 3 * F + b * F + s.f0;
                },
                [&](int r) { return ox + r * Fs; });
            if (l > 0) {
                async_runs<T>(
                    n * 3, Fs, [&](int r) { return static_cast<const T*>(Ly.v) + (size_t)r * F + s.f0; },
                    [&](int r) { return ov + r * Fs; });
            } else {
                for (int t = threadIdx.x; t < n * 3 * Fs; t += blockDim.x) vo[t] = T(0);
            }
            if (backward) {
                async_runs<T>(
                    n * 3, Fs, [&](int r) { return static_cast<const T*>(Ly.gvMid) + (size_t)r * F + s.f0; },
                    [&](int r) { return ogv + r * Fs; });
                async_runs<T>(
                    n, Fs, [&](int r) { return static_cast<const T*>(Ly.gsMid) + (size_t)r * F + s.f0; },
                    [&](int r) { return og + r * Fs; });
            }
            return;
        }
        FastDiv by3Fs(3 * Fs), byFs(Fs);
        auto at = [&](int t, int& j, int& b, int& f) {
            j = by3Fs.div(t);
            int q = t - j * 3 * Fs;
            b = byFs.div(q);
            f = s.f0 + q - b * Fs;
        };
        staged<kBatch<T>>(
            n * 3 * Fs,
            [&](int t) {
                int j, b, f;
                at(t, j, b, f);
                return l == 0 ? ldw<T>(A.xTable, (size_t)__ldg(A.z + j) * 3 * F + b * F + f)
                              : ldcg<T>(Ly.x, (size_t)j * 3 * F + b * F + f);
            },
            [&](int t, T v) { xo[t] = v; });
        if (l > 0) {
            staged<kBatch<T>>(
                n * 3 * Fs,
                [&](int t) {
                    int j, b, f;
                    at(t, j, b, f);
                    return ldcg<T>(Ly.v, ((size_t)j * 3 + b) * F + f);
                },
                [&](int t, T v) { vo[t] = v; });
        } else {
            for (int t = threadIdx.x; t < n * 3 * Fs; t += blockDim.x) vo[t] = T(0);
        }
        if (!backward) return;
        staged<kBatch<T>>(
            n * 3 * Fs,
            [&](int t) {
                int j, b, f;
                at(t, j, b, f);
                return ldcg<T>(Ly.gvMid, ((size_t)j * 3 + b) * F + f);
            },
            [&](int t, T v) { gvo[t] = v; });
        staged<kBatch<T>>(
            n * Fs,
            [&](int t) {
                int j = byFs.div(t);
                return ldcg<T>(Ly.gsMid, (size_t)j * F + s.f0 + t - j * Fs);
            },
            [&](int t, T v) { go[t] = v; });
    }

    // filter rows of block b ∈ {a, b, c} for the owned features, and their biases
    PAINN_DEVICE void loadFilterBody(const FusedArgs& A, const FusedDims& D, int row0, const Slice& s) {
        T *wf = sh(this->wf), *bf = sh(this->bf);
        int Fs = this->Fs, K = this->K;
        constexpr int V = kVec<T>;
        if (D.F % V == 0 && s.f0 % V == 0 && Fs % V == 0 && row0 % V == 0 && aligned16(A.filterW) &&
            aligned16(A.filterB)) {
            // the rows of block b (a, b, c) for the own features are Fs·K consecutive weights
            int ow = off(this->wf), ob = off(this->bf);
            async_runs<T>(
                3, Fs * K,
                [&](int b) { return static_cast<const T*>(A.filterW) + (size_t)(row0 + b * D.F + s.f0) * K; },
                [&](int b) { return ow + b * Fs * K; });
            async_runs<T>(
                3, Fs, [&](int b) { return static_cast<const T*>(A.filterB) + row0 + b * D.F + s.f0; },
                [&](int b) { return ob + b * Fs; });
            return;
        }
        FastDiv byK(K), byFs(Fs);
        staged<kBatch<T>>(
            3 * Fs * K,
            [&](int t) {
                int q = byK.div(t), k = t - q * K;
                int b = byFs.div(q), fl = q - b * Fs;
                return ldw<T>(A.filterW, (size_t)(row0 + b * D.F + s.f0 + fl) * K + k);
            },
            [&](int t, T v) { wf[t] = v; });
        for (int t = threadIdx.x; t < 3 * Fs; t += blockDim.x) {
            int b = byFs.div(t), fl = t - b * Fs;
            bf[t] = ldw<T>(A.filterB, (size_t)row0 + b * D.F + s.f0 + fl);
        }
    }

    PAINN_DEVICE void loadEdgesBody(const FusedArgs& A, int e0, int cnt, bool backward) {
        T *phi = sh(this->phi), *dphi = sh(this->dphi), *fc = sh(this->fc), *dfc = sh(this->dfc), *u = sh(this->u);
        int *j = sh(this->j), *c = sh(this->c);
        int K = this->K;
        size_t k0 = (size_t)e0 * K;
        if (e0 % 4 == 0 && aligned16(A.phi) && aligned16(A.dphi) && aligned16(A.fc) && aligned16(A.dfc) &&
            aligned16(A.u) && aligned16(A.neighbor) && aligned16(A.center)) {
            // seven runs (five without the derivatives), then everything this phase issued lands
            async_runs<T>(1, cnt * K, [&](int) { return static_cast<const T*>(A.phi) + k0; },
                          [&](int) { return off(this->phi); });
            if (backward)
                async_runs<T>(1, cnt * K, [&](int) { return static_cast<const T*>(A.dphi) + k0; },
                              [&](int) { return off(this->dphi); });
            async_runs<T>(1, cnt, [&](int) { return static_cast<const T*>(A.fc) + e0; },
                          [&](int) { return off(this->fc); });
            if (backward)
                async_runs<T>(1, cnt, [&](int) { return static_cast<const T*>(A.dfc) + e0; },
                              [&](int) { return off(this->dfc); });
            async_runs<T>(1, 3 * cnt, [&](int) { return static_cast<const T*>(A.u) + (size_t)3 * e0; },
                          [&](int) { return off(this->u); });
            async_runs<int>(1, cnt, [&](int) { return A.neighbor + e0; }, [&](int) { return offInt(this->j); });
            async_runs<int>(1, cnt, [&](int) { return A.center + e0; }, [&](int) { return offInt(this->c); });
            async_land();
            return;
        }
        staged<kBatch<T>>(cnt * K, [&](int t) { return ldcg<T>(A.phi, k0 + t); }, [&](int t, T v) { phi[t] = v; });
        if (backward)
            staged<kBatch<T>>(cnt * K, [&](int t) { return ldcg<T>(A.dphi, k0 + t); }, [&](int t, T v) { dphi[t] = v; });
        staged<4>(cnt, [&](int t) { return ldcg<T>(A.fc, e0 + t); }, [&](int t, T v) { fc[t] = v; });
        if (backward) staged<4>(cnt, [&](int t) { return ldcg<T>(A.dfc, e0 + t); }, [&](int t, T v) { dfc[t] = v; });
        staged<4>(cnt, [&](int t) { return __ldg(A.neighbor + e0 + t); }, [&](int t, int v) { j[t] = v; });
        staged<4>(cnt, [&](int t) { return __ldg(A.center + e0 + t); }, [&](int t, int v) { c[t] = v; });
        staged<8>(cnt * 3, [&](int t) { return ldcg<T>(A.u, (size_t)e0 * 3 + t); }, [&](int t, T v) { u[t] = v; });
        async_land();  // the own features and filter rows, where they were copied asynchronously
    }

    // W = (φ·W_f + b_f)·fc of every (edge, own feature, block) of the chunk, and with derivative
    // ∂W/∂d = (φ'·W_f)·fc + (φ·W_f + b_f)·fc': one task per (edge, feature), all in parallel
    PAINN_DEVICE void filtersBody(int cnt, bool derivative) {
        const T *phi = sh(this->phi), *dphi = sh(this->dphi), *fc = sh(this->fc), *dfc = sh(this->dfc), *wf = sh(this->wf),
                *bf = sh(this->bf);
        T *W = sh(this->W), *dW = sh(this->dW);
        int Fs = this->Fs, K = this->K;
        constexpr int V = kVec<T>;
        bool vec = K % V == 0 && aligned16(phi) && aligned16(dphi) && aligned16(wf);
        FastDiv byFs(Fs);
        for (int t = threadIdx.x; t < cnt * Fs; t += blockDim.x) {
            int q = byFs.div(t), fl = t - q * Fs;
            const T* p = phi + q * K;
            const T* dp = dphi + q * K;
            T fce = fc[q], dfce = derivative ? dfc[q] : T(0);
            const T* w0 = wf + fl * K;
            const T* w1 = wf + (Fs + fl) * K;
            const T* w2 = wf + (2 * Fs + fl) * K;
            T a0 = bf[fl], a1 = bf[Fs + fl], a2 = bf[2 * Fs + fl], d0 = 0, d1 = 0, d2 = 0;
            if (vec) {  // the same sums in the same order, 16 bytes per shared-memory read
                for (int k = 0; k < K; k += V) {
                    Vec16<T> pk = ld16(p + k), x0 = ld16(w0 + k), x1 = ld16(w1 + k), x2 = ld16(w2 + k);
                    if (derivative) {
                        Vec16<T> dk = ld16(dp + k);
#pragma unroll
                        for (int j = 0; j < V; j++) {
                            a0 += pk[j] * x0[j];
                            a1 += pk[j] * x1[j];
                            a2 += pk[j] * x2[j];
                            d0 += dk[j] * x0[j];
                            d1 += dk[j] * x1[j];
                            d2 += dk[j] * x2[j];
                        }
                    } else {
#pragma unroll
                        for (int j = 0; j < V; j++) {
                            a0 += pk[j] * x0[j];
                            a1 += pk[j] * x1[j];
                            a2 += pk[j] * x2[j];
                        }
                    }
                }
            } else if (derivative) {
                for (int k = 0; k < K; k++) {
                    T pk = p[k], dk = dp[k];
                    a0 += pk * w0[k];
                    a1 += pk * w1[k];
                    a2 += pk * w2[k];
                    d0 += dk * w0[k];
                    d1 += dk * w1[k];
                    d2 += dk * w2[k];
                }
            } else {
                for (int k = 0; k < K; k++) {
                    T pk = p[k];
                    a0 += pk * w0[k];
                    a1 += pk * w1[k];
                    a2 += pk * w2[k];
                }
            }
            T* wq = W + q * 3 * Fs;
            wq[fl] = a0 * fce;
            wq[Fs + fl] = a1 * fce;
            wq[2 * Fs + fl] = a2 * fce;
            if (derivative) {
                T* dq = dW + q * 3 * Fs;
                dq[fl] = d0 * fce + a0 * dfce;
                dq[Fs + fl] = d1 * fce + a1 * dfce;
                dq[2 * Fs + fl] = d2 * fce + a2 * dfce;
            }
        }
    }

    // out of line for float (kOutOfLine)
    PAINN_DEVICE void loadOwn(const FusedArgs& A, const FusedLayer& Ly, int l, int n, int F, const Slice& s, bool backward) {
        if constexpr (kOutOfLine<T>) message_load_own<T>(*this, A, Ly, l, n, F, s, backward);
        else loadOwnBody(A, Ly, l, n, F, s, backward);
    }
    PAINN_DEVICE void loadFilter(const FusedArgs& A, const FusedDims& D, int row0, const Slice& s) {
        if constexpr (kOutOfLine<T>) message_load_filter<T>(*this, A, D, row0, s);
        else loadFilterBody(A, D, row0, s);
    }
    PAINN_DEVICE void loadEdges(const FusedArgs& A, int e0, int cnt, bool backward) {
        if constexpr (kOutOfLine<T>) message_load_edges<T>(*this, A, e0, cnt, backward);
        else loadEdgesBody(A, e0, cnt, backward);
    }
    PAINN_DEVICE void filters(int cnt, bool derivative) {
        if constexpr (kOutOfLine<T>) message_filters<T>(*this, cnt, derivative);
        else filtersBody(cnt, derivative);
    }
};

template <typename T>
__device__ __noinline__ void message_load_own(MessageSmem<T>& m, const FusedArgs& A, const FusedLayer& Ly, int l, int n,
                                              int F, const Slice& s, bool backward) {
    m.loadOwnBody(A, Ly, l, n, F, s, backward);
}
template <typename T>
__device__ __noinline__ void message_load_filter(MessageSmem<T>& m, const FusedArgs& A, const FusedDims& D, int row0,
                                                 const Slice& s) {
    m.loadFilterBody(A, D, row0, s);
}
template <typename T>
__device__ __noinline__ void message_load_edges(MessageSmem<T>& m, const FusedArgs& A, int e0, int cnt, bool backward) {
    m.loadEdgesBody(A, e0, cnt, backward);
}
template <typename T> __device__ __noinline__ void message_filters(MessageSmem<T>& m, int cnt, bool derivative) {
    m.filtersBody(cnt, derivative);
}

// Edge geometry and radial basis (derivation.md §2): one thread per (edge, k) over the whole
// cluster, so that no thread runs a chain of K exponentials; k = 0 also writes d, u, fc, fc'.
template <typename T>
PAINN_DEVICE void radial_phase_body(const FusedArgs& A, const FusedDims& D, int E, int r, int C) {
    FastDiv byK(D.K);
    int total = E * D.K;
    for (int t = r * blockDim.x + threadIdx.x; t < total; t += C * blockDim.x) {
        int e = byK.div(t), k = t - e * D.K;
        double v[3];
        edge_vector(D.pos, A.cell, __ldg(A.center + e), __ldg(A.neighbor + e), __ldg(A.image + 3 * e),
                    __ldg(A.image + 3 * e + 1), __ldg(A.image + 3 * e + 2), v);
        double dd = sqrt(norm_squared(v));
        T d = (T)dd;
        T p, dp;
        radial_basis<T>(D.basis, k, d, static_cast<const T*>(A.mu), static_cast<const T*>(A.sigma), p, dp);
        st<T>(A.phi, (size_t)e * D.K + k, p);
        st<T>(A.dphi, (size_t)e * D.K + k, dp);
        if (k == 0) {
            st<T>(A.d, e, d);
            for (int c = 0; c < 3; c++) st<T>(A.u, 3 * e + c, (T)(v[c] / dd));
            T f, df;
            cosine_cutoff<T>(dd, D.rc, f, df);
            st<T>(A.fc, e, f);
            st<T>(A.dfc, e, df);
        }
    }
}

// s' = s + Σ_e a_e,  v'_c = v_c + Σ_e (b_e u_ec + c_e v_jc)   (derivation.md §4), own features.
template <typename T>
PAINN_DEVICE void message_fwd(const FusedArgs& A, const FusedDims& D, int l, int E, const Slice& s, T* sm) {
    const FusedLayer& Ly = A.layer[l];
    int n = D.n, F = D.F, K = D.K, Fs = s.size();
    MessageSmem<T> m(sm, D.smem, n, Fs, K);
    __syncthreads();
    m.loadOwn(A, Ly, l, n, F, s, false);
    m.loadFilter(A, D, D.shared ? 0 : l * 3 * F, s);
    submark_message();
    FastDiv byFs(Fs);
    int i = byFs.div(threadIdx.x), fl = threadIdx.x - i * Fs;
    bool item = i < n;
    int begin = item ? __ldg(A.rowStart + i) : 0, end = item ? __ldg(A.rowStart + i + 1) : 0;
    T sAcc = 0, v0 = 0, v1 = 0, v2 = 0;
    for (int e0 = 0; e0 < E; e0 += m.chunk) {
        int cnt = min(m.chunk, E - e0);
        __syncthreads();
        m.loadEdges(A, e0, cnt, false);
        __syncthreads();
        submark_message();
        m.filters(cnt, false);
        __syncthreads();
        submark_message();
        int lo = max(begin, e0), hi = min(end, e0 + cnt);
        for (int e = lo; e < hi; e++) {
            int q = e - e0;
            int j = m.j[q];
            const T* w = m.W + q * 3 * Fs;
            const T* xj = m.xo + j * 3 * Fs;
            const T* vj = m.vo + j * 3 * Fs;
            T a = w[fl] * xj[fl], b = w[Fs + fl] * xj[Fs + fl], c = w[2 * Fs + fl] * xj[2 * Fs + fl];
            sAcc += a;
            v0 += b * m.u[3 * q] + c * vj[fl];
            v1 += b * m.u[3 * q + 1] + c * vj[Fs + fl];
            v2 += b * m.u[3 * q + 2] + c * vj[2 * Fs + fl];
        }
    }
    async_land();  // no edges: the own features' copies were never waited for
    submark_message();
    if (item) {
        int f = s.f0 + fl;
        T si = l == 0 ? ldw<T>(A.embedding, (size_t)__ldg(A.z + i) * F + f) : ldcg<T>(Ly.s, (size_t)i * F + f);
        st<T>(Ly.sMid, (size_t)i * F + f, si + sAcc);
        T acc[3] = {v0, v1, v2};
        for (int c = 0; c < 3; c++) {
            T vi = l == 0 ? T(0) : ldcg<T>(Ly.v, ((size_t)i * 3 + c) * F + f);
            st<T>(Ly.vMid, ((size_t)i * 3 + c) * F + f, vi + acc[c]);
        }
    }    submark_message();
}

// The backward pass of one layer's message over the block's features (message.cu explains the
// terms): each edge's share of ∂E/∂d and ∂E/∂u (one task per (edge, feature), then the features
// summed in order per edge), and for layers above 0 the gathers (4.5), (4.8) that give v̄ and x̄
// of every atom.
template <typename T>
PAINN_DEVICE void message_bwd(const FusedArgs& A, const FusedDims& D, int l, int E, const Slice& s, int r, T* sm) {
    const FusedLayer& Ly = A.layer[l];
    int n = D.n, F = D.F, K = D.K, Fs = s.size();
    bool first = l == D.L - 1;
    MessageSmem<T> m(sm, D.smem, n, Fs, K);
    __syncthreads();
    m.loadOwn(A, Ly, l, n, F, s, true);
    m.loadFilter(A, D, D.shared ? 0 : l * 3 * F, s);
    submark_message();
    FastDiv byFs(Fs);
    int i = byFs.div(threadIdx.x), fl = threadIdx.x - i * Fs;
    bool item = l > 0 && i < n;
    int begin = item ? __ldg(A.rowStart + i) : 0, end = item ? __ldg(A.rowStart + i + 1) : 0;
    T acc0 = 0, acc1 = 0, acc2 = 0, gxa = 0, gxb = 0, gxc = 0;
    T* gdPart = static_cast<T*>(A.gdPart) + (size_t)r * D.ecap;
    T* gUPart = static_cast<T*>(A.gUPart) + (size_t)r * D.ecap * 3;
    for (int e0 = 0; e0 < E; e0 += m.chunk) {
        int cnt = min(m.chunk, E - e0);
        __syncthreads();
        m.loadEdges(A, e0, cnt, true);
        __syncthreads();
        submark_message();
        m.filters(cnt, true);
        __syncthreads();
        submark_message();
        // as the centre a of e = (a, j): feature g's share of ∂E/∂d_e and ∂E/∂u_e
        for (int t = threadIdx.x; t < cnt * Fs; t += blockDim.x) {
            int q = byFs.div(t), g = t - q * Fs;
            int a = m.c[q], j = m.j[q];
            const T* w = m.W + q * 3 * Fs;
            const T* dw = m.dW + q * 3 * Fs;
            const T* xj = m.xo + j * 3 * Fs;
            const T* vj = m.vo + j * 3 * Fs;
            const T* ga = m.gvo + a * 3 * Fs;
            T gs = m.go[a * Fs + g], g0 = ga[g], g1 = ga[Fs + g], g2 = ga[2 * Fs + g];
            T gb = g0 * m.u[3 * q] + g1 * m.u[3 * q + 1] + g2 * m.u[3 * q + 2];
            T gc = g0 * vj[g] + g1 * vj[Fs + g] + g2 * vj[2 * Fs + g];
            T* rq = m.red + q * 4 * Fs;
            rq[g] = gs * xj[g] * dw[g] + gb * xj[Fs + g] * dw[Fs + g] + gc * xj[2 * Fs + g] * dw[2 * Fs + g];
            T tb = w[Fs + g] * xj[Fs + g];
            rq[Fs + g] = g0 * tb;
            rq[2 * Fs + g] = g1 * tb;
            rq[3 * Fs + g] = g2 * tb;
        }
        __syncthreads();
        submark_message();
        for (int t = threadIdx.x; t < cnt * 4; t += blockDim.x) {
            int q = t >> 2, k = t & 3;
            const T* rq = m.red + (q * 4 + k) * Fs;
            T sum = 0;
            for (int g = 0; g < Fs; g++) sum += rq[g];
            int e = e0 + q;
            if (k == 0) gdPart[e] = first ? sum : gdPart[e] + sum;
            else gUPart[3 * e + k - 1] = first ? sum : gUPart[3 * e + k - 1] + sum;
        }
        // as the neighbour of the reverse edge (j, a), gathered over a's own row
        int lo = max(begin, e0), hi = min(end, e0 + cnt);
        for (int e = lo; e < hi; e++) {
            int q = e - e0;
            int j = m.j[q];
            const T* w = m.W + q * 3 * Fs;
            const T* xa = m.xo + i * 3 * Fs;
            const T* va = m.vo + i * 3 * Fs;
            const T* hj = m.gvo + j * 3 * Fs;
            T h0 = hj[fl], h1 = hj[Fs + fl], h2 = hj[2 * Fs + fl];
            T wcx = w[2 * Fs + fl] * xa[2 * Fs + fl];
            acc0 += h0 * wcx;
            acc1 += h1 * wcx;
            acc2 += h2 * wcx;
            gxa += m.go[j * Fs + fl] * w[fl];
            gxb -= (h0 * m.u[3 * q] + h1 * m.u[3 * q + 1] + h2 * m.u[3 * q + 2]) * w[Fs + fl];
            gxc += (h0 * va[fl] + h1 * va[Fs + fl] + h2 * va[2 * Fs + fl]) * w[2 * Fs + fl];
        }
    }
    async_land();
    submark_message();
    if (item) {
        int f = s.f0 + fl;
        const T* ga = m.gvo + i * 3 * Fs;
        st<T>(Ly.gv, ((size_t)i * 3 + 0) * F + f, ga[fl] + acc0);
        st<T>(Ly.gv, ((size_t)i * 3 + 1) * F + f, ga[Fs + fl] + acc1);
        st<T>(Ly.gv, ((size_t)i * 3 + 2) * F + f, ga[2 * Fs + fl] + acc2);
        st<T>(A.gx, (size_t)i * 3 * F + f, gxa);
        st<T>(A.gx, (size_t)i * 3 * F + F + f, gxb);
        st<T>(A.gx, (size_t)i * 3 * F + 2 * F + f, gxc);
    }    submark_message();
}

// Block-wide sum of one double per thread in a fixed order (warp trees, then warps in order).
PAINN_DEVICE double block_sum(double v) {
    __shared__ double part[FUSED_THREADS / 32];
    v = warp_sum(v);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) part[warp] = v;
    __syncthreads();
    double s = 0;
    for (int w = 0; w < (int)(blockDim.x >> 5); w++) s += part[w];
    return s;
}

// Block 0, at the end, first over edges: ∂E/∂d and ∂E/∂u from the blocks' shares, summed in rank
// order (kept for inspection), ∂E/∂r_e (2.5) into shared memory and the virial (7.2); then over
// atoms: F_i = Σ_e ∂E/∂r_e − Σ_e ∂E/∂r_rev(e) over each row (7.1). float64 throughout.
template <typename T, int C>
PAINN_DEVICE void forces_phase_body(const FusedArgs& A, const FusedDims& D, int E) {
    double* g = smem_base<double>();
    const T* gdPart = static_cast<const T*>(A.gdPart);
    const T* gUPart = static_cast<const T*>(A.gUPart);
    int* rev = reinterpret_cast<int*>(g + 3 * E);
    double w[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int e = threadIdx.x; e < E; e += blockDim.x) {
        T gd = 0, gu[3] = {0, 0, 0};
#pragma unroll
        for (int r = 0; r < C; r++) {
            gd += __ldcg(gdPart + (size_t)r * D.ecap + e);
#pragma unroll
            for (int c = 0; c < 3; c++) gu[c] += __ldcg(gUPart + ((size_t)r * D.ecap + e) * 3 + c);
        }
        st<T>(A.gd, e, gd);
        for (int c = 0; c < 3; c++) st<T>(A.gU, 3 * e + c, gu[c]);
        double ux = ldcg<T>(A.u, 3 * e), uy = ldcg<T>(A.u, 3 * e + 1), uz = ldcg<T>(A.u, 3 * e + 2);
        double dot = (double)gu[0] * ux + (double)gu[1] * uy + (double)gu[2] * uz;
        double inv = 1.0 / (double)ldcg<T>(A.d, e);
        double ge[3] = {(double)gd * ux + ((double)gu[0] - dot * ux) * inv,
                        (double)gd * uy + ((double)gu[1] - dot * uy) * inv,
                        (double)gd * uz + ((double)gu[2] - dot * uz) * inv};
        double v[3];
        edge_vector(D.pos, A.cell, __ldg(A.center + e), __ldg(A.neighbor + e), __ldg(A.image + 3 * e),
                    __ldg(A.image + 3 * e + 1), __ldg(A.image + 3 * e + 2), v);
        for (int a = 0; a < 3; a++) {
            g[3 * e + a] = ge[a];
            for (int b = 0; b < 3; b++) w[3 * a + b] += v[a] * ge[b];
        }
        rev[e] = __ldg(A.reverse + e);
    }
    for (int q = 0; q < 9; q++) {
        double s = block_sum(w[q]);  // its barriers also publish g and rev
        if (threadIdx.x == 0) A.virial[q] = s;
    }
    for (int i = threadIdx.x; i < D.n; i += blockDim.x) {
        double f[3] = {0, 0, 0};
        for (int e = __ldg(A.rowStart + i); e < __ldg(A.rowStart + i + 1); e++) {
            int re = rev[e];
            for (int c = 0; c < 3; c++) f[c] += g[3 * e + c] - g[3 * re + c];
        }
        for (int c = 0; c < 3; c++) A.forces[3 * i + c] = f[c];
    }
}

template <typename T>
__device__ __noinline__ void radial_phase_call(const FusedArgs& A, const FusedDims& D, int E, int r, int C) {
    radial_phase_body<T>(A, D, E, r, C);
}
template <typename T> PAINN_DEVICE void radial_phase(const FusedArgs& A, const FusedDims& D, int E, int r, int C) {
    if constexpr (kOutOfLine<T>) radial_phase_call<T>(A, D, E, r, C);
    else radial_phase_body<T>(A, D, E, r, C);
}
template <typename T, int C> __device__ __noinline__ void forces_phase_call(const FusedArgs& A, const FusedDims& D, int E) {
    forces_phase_body<T, C>(A, D, E);
}
template <typename T, int C> PAINN_DEVICE void forces_phase(const FusedArgs& A, const FusedDims& D, int E) {
    if constexpr (kOutOfLine<T>) forces_phase_call<T, C>(A, D, E);
    else forces_phase_body<T, C>(A, D, E);
}

template <typename T, int C>
PAINN_DEVICE void painn_fused_impl(const FusedArgs& A, const FusedDims& D) {
    T* sm = smem_base<T>();
    int r = (int)cg::this_cluster().block_rank();
    int n = D.n, F = D.F, L = D.L, H = D.H, cap = D.smem;
    int E = __ldg(A.rowStart + n);
    Slice s(F, r, C);
    Slice hs(H, r, C);
    int f0 = s.f0, f1 = s.f1, Fs = s.size();
    int items = n * Fs;
    FastDiv byFs(Fs);

    if (threadIdx.x == 0) {
        subMarks = A.marks != nullptr && r == 0 ? A.marks + 34 : nullptr;
        subCount = 0;
    }
    __syncthreads();
    int phase = 0;
    // the cluster barrier before a dense phase, passed to it: its weights are in flight meanwhile
    auto barrierBefore = [&] {
        cluster_barrier();
        mark(A, r, phase);
    };
    mark(A, r, phase);
    radial_phase<T>(A, D, E, r, C);
    cluster_barrier();
    mark(A, r, phase);

    // ---- forward ----
    for (int l = 0; l < L; l++) {
        const FusedLayer& Ly = A.layer[l];
        if (l > 0) {
            dense_phase<T, true>(cap, n, F, Input<T>{Ly.s, F, false}, Ly.c1w, F, 1, F, f0, f1,
                                 [&](int m, int o, T acc) { st<T>(Ly.hPre, (size_t)m * F + o, acc + ldw<T>(Ly.c1b, o)); });
            // x of the block's own features: the message below reads nothing else
            dense_phase<T, true>(cap, n, F, Input<T>{Ly.hPre, F, true}, Ly.c2w, F, 3, F, f0, f1,
                                 [&](int m, int o, T acc) { st<T>(Ly.x, (size_t)m * 3 * F + o, acc + ldw<T>(Ly.c2b, o)); }, barrierBefore);
        }
        message_fwd<T>(A, D, l, E, s, sm);
        // (V, U) = Dense_mix(v'), then n, S and the context [s', n] of the own features
        dense_phase<T, true>(cap, 3 * n, F, Input<T>{Ly.vMid, F, false}, Ly.mixW, F, 2, F, f0, f1,
                             [&](int m, int o, T acc) { st<T>(Ly.vu, (size_t)m * 2 * F + o, acc); }, barrierBefore);
        for (int t = threadIdx.x; t < items; t += blockDim.x) {
            int i = byFs.div(t), f = f0 + t - i * Fs;
            T sq = (T)D.eps, dot = 0;
            for (int c = 0; c < 3; c++) {
                T V = ldcg<T>(Ly.vu, ((size_t)i * 3 + c) * 2 * F + f);
                T U = ldcg<T>(Ly.vu, ((size_t)i * 3 + c) * 2 * F + F + f);
                sq += V * V;
                dot += V * U;
            }
            T nv = sqrt(sq);
            st<T>(Ly.norm, (size_t)i * F + f, nv);
            st<T>(Ly.dot, (size_t)i * F + f, dot);
            st<T>(A.ctx, (size_t)i * 2 * F + f, ldcg<T>(Ly.sMid, (size_t)i * F + f));
            st<T>(A.ctx, (size_t)i * 2 * F + F + f, nv);
        }
        dense_phase<T, true>(cap, n, 2 * F, Input<T>{A.ctx, 2 * F, false}, Ly.m1w, 2 * F, 1, F, f0, f1,
                             [&](int m, int o, T acc) { st<T>(Ly.a3, (size_t)m * F + o, acc + ldw<T>(Ly.m1b, o)); }, barrierBefore);
        dense_phase<T, true>(cap, n, F, Input<T>{Ly.a3, F, true}, Ly.m2w, F, 3, F, f0, f1,
                             [&](int m, int o, T acc) { st<T>(Ly.y, (size_t)m * 3 * F + o, acc + ldw<T>(Ly.m2b, o)); }, barrierBefore);
        void* sOut = l + 1 < L ? A.layer[l + 1].s : A.sL;
        void* vOut = l + 1 < L ? A.layer[l + 1].v : A.vL;
        for (int t = threadIdx.x; t < items; t += blockDim.x) {
            int i = byFs.div(t), f = f0 + t - i * Fs;
            size_t at = (size_t)i * F + f;
            T p = ldcg<T>(Ly.y, (size_t)i * 3 * F + f), q = ldcg<T>(Ly.y, (size_t)i * 3 * F + F + f),
              rr = ldcg<T>(Ly.y, (size_t)i * 3 * F + 2 * F + f);
            st<T>(sOut, at, ldcg<T>(Ly.sMid, at) + p + rr * ldcg<T>(Ly.dot, at));
            for (int c = 0; c < 3; c++) {
                size_t vc = ((size_t)i * 3 + c) * F + f;
                st<T>(vOut, vc, ldcg<T>(Ly.vMid, vc) + q * ldcg<T>(Ly.vu, ((size_t)i * 3 + c) * 2 * F + F + f));
            }
        }
        cluster_barrier();
        mark(A, r, phase);
    }

    // ---- readout: hidden layer split by column, then block 0 finishes y and E ----
    const void* w1 = A.outW1;
    dense_phase<T, true>(cap, n, F, Input<T>{A.sL, F, false}, A.outW0, F, 1, H, hs.f0, hs.f1,
                         [&](int m, int o, T acc) {
                             T pre = acc + ldw<T>(A.outB0, o);
                             st<T>(A.outPre, (size_t)m * H + o, pre);
                             st<T>(A.gRead, (size_t)m * H + o, ldw<T>(w1, o) * silu_prime(pre));
                         });
    cluster_barrier();
    mark(A, r, phase);
    if (r == 0) {
        // silu(h)·w₁ staged for all atoms at once, then each atom's sum in order
        T* hs1 = sm;
        staged<kBatch<T>>(
            n * H, [&](int t) { return ldcg<T>(A.outPre, t); },
            [&](int t, T v) { hs1[t] = silu(v) * ldw<T>(w1, t % H); });
        __syncthreads();
        double e = 0;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            T y = ldw<T>(A.outB1, 0);
            for (int o = 0; o < H; o++) y += hs1[i * H + o];
            st<T>(A.yOut, i, y);
            double ei = (double)y + A.shift[__ldg(A.z + i)];
            A.energies[i] = ei;
            e += ei;
        }
        double total = block_sum(e);
        if (threadIdx.x == 0) A.energy[0] = total;
    }
    // s̄^L = ḡ·W_out0 for the own features
    dense_phase<T, false>(cap, n, H, Input<T>{A.gRead, H, false}, A.outW0, F, 1, F, f0, f1,
                          [&](int m, int o, T acc) { st<T>(A.gsL, (size_t)m * F + o, acc); });

    // ---- backward, last layer first; s̄ of the layer's output is this block's own work ----
    for (int l = L - 1; l >= 0; l--) {
        const FusedLayer& Ly = A.layer[l];
        const void* gsOut = l + 1 < L ? A.layer[l + 1].gs : A.gsL;
        const void* gvOut = l + 1 < L ? A.layer[l + 1].gv : nullptr;
        // (5.1)–(5.6)
        for (int t = threadIdx.x; t < items; t += blockDim.x) {
            int i = byFs.div(t), f = f0 + t - i * Fs;
            size_t at = (size_t)i * F + f;
            T g = ldcg<T>(gsOut, at);
            T q = ldcg<T>(Ly.y, (size_t)i * 3 * F + F + f), rr = ldcg<T>(Ly.y, (size_t)i * 3 * F + 2 * F + f);
            T gS = g * rr, gq = 0;
            for (int c = 0; c < 3; c++) {
                size_t vc = ((size_t)i * 3 + c) * 2 * F + f;
                T V = ldcg<T>(Ly.vu, vc), U = ldcg<T>(Ly.vu, vc + F);
                T gvo = gvOut ? ldcg<T>(gvOut, ((size_t)i * 3 + c) * F + f) : T(0);
                gq += gvo * U;
                st<T>(A.gvu, vc, gS * U);
                st<T>(A.gvu, vc + F, gvo * q + gS * V);
            }
            st<T>(A.gy, (size_t)i * 3 * F + f, g);
            st<T>(A.gy, (size_t)i * 3 * F + F + f, gq);
            st<T>(A.gy, (size_t)i * 3 * F + 2 * F + f, g * ldcg<T>(Ly.dot, at));
        }
        // (5.7)
        dense_phase<T, false>(cap, n, 3 * F, Input<T>{A.gy, 3 * F, false}, Ly.m2w, F, 1, F, f0, f1,
                              [&](int m, int o, T acc) {
                                  st<T>(A.gh, (size_t)m * F + o, acc * silu_prime(ldcg<T>(Ly.a3, (size_t)m * F + o)));
                              }, barrierBefore);
        // (5.8)–(5.10)
        dense_phase<T, false>(cap, n, F, Input<T>{A.gh, F, false}, Ly.m1w, 2 * F, 2, F, f0, f1,
                              [&](int m, int o, T acc) { st<T>(A.gctx, (size_t)m * 2 * F + o, acc); }, barrierBefore);
        for (int t = threadIdx.x; t < items; t += blockDim.x) {
            int i = byFs.div(t), f = f0 + t - i * Fs;
            size_t at = (size_t)i * F + f;
            st<T>(Ly.gsMid, at, ldcg<T>(gsOut, at) + ldcg<T>(A.gctx, (size_t)i * 2 * F + f));
            T gn = ldcg<T>(A.gctx, (size_t)i * 2 * F + F + f) / ldcg<T>(Ly.norm, at);
            for (int c = 0; c < 3; c++) {
                size_t vc = ((size_t)i * 3 + c) * 2 * F + f;
                st<T>(A.gvu, vc, ldcg<T>(A.gvu, vc) + gn * ldcg<T>(Ly.vu, vc));
            }
        }
        // (5.11), then the message's backward pass on the own features
        dense_phase<T, false>(cap, 3 * n, 2 * F, Input<T>{A.gvu, 2 * F, false}, Ly.mixW, F, 1, F, f0, f1,
                              [&](int m, int o, T acc) {
                                  size_t vc = (size_t)m * F + o;
                                  st<T>(Ly.gvMid, vc, acc + (gvOut ? ldcg<T>(gvOut, vc) : T(0)));
                              }, barrierBefore);
        message_bwd<T>(A, D, l, E, s, r, sm);
        cluster_barrier();
        mark(A, r, phase);
        if (l > 0) {
            // (4.9)
            dense_phase<T, false>(cap, n, 3 * F, Input<T>{A.gx, 3 * F, false}, Ly.c2w, F, 1, F, f0, f1,
                                  [&](int m, int o, T acc) {
                                      st<T>(A.gh, (size_t)m * F + o,
                                            acc * silu_prime(ldcg<T>(Ly.hPre, (size_t)m * F + o)));
                                  });
            dense_phase<T, false>(cap, n, F, Input<T>{A.gh, F, false}, Ly.c1w, F, 1, F, f0, f1,
                                  [&](int m, int o, T acc) {
                                      size_t at = (size_t)m * F + o;
                                      st<T>(Ly.gs, at, acc + ldcg<T>(Ly.gsMid, at));
                                  }, barrierBefore);
        }
    }
    // ∂E/∂r of every edge in shared memory: 3 doubles per edge (accepts() keeps E within it)
    if (r == 0) forces_phase<T, C>(A, D, E);
    mark(A, r, phase);
}

#define FUSED_ENTRY(C)                                                                                     \
    extern "C" __global__ void __cluster_dims__(C, 1, 1) __launch_bounds__(FUSED_THREADS)                   \
        painn_fused_f32_c##C FUSED_PARAMS { painn_grid_dependency();                                                                 \
        painn_fused_impl<float, C>(*a, FUSED_DIMS);                                                         \
    }                                                                                                       \
    extern "C" __global__ void __cluster_dims__(C, 1, 1) __launch_bounds__(FUSED_THREADS)                   \
        painn_fused_f64_c##C FUSED_PARAMS { painn_grid_dependency();                                                                 \
        painn_fused_impl<double, C>(*a, FUSED_DIMS);                                                        \
    }
#else
// Before Hopper there are no clusters: the entry points exist (one module for every
// architecture) but FusedKernels never launches them there.
#define FUSED_ENTRY(C)                                                                                     \
    extern "C" __global__ void painn_fused_f32_c##C FUSED_PARAMS { painn_grid_dependency();}                                         \
    extern "C" __global__ void painn_fused_f64_c##C FUSED_PARAMS { painn_grid_dependency();}
#endif

FUSED_ENTRY(8)
FUSED_ENTRY(16)
