// The forward message kernel of layers ≥ 1 with the filter formed on the tensor cores (Hopper,
// sm_90), for F = 128, 17 ≤ K ≤ 20, structures of more than MessageKernels.SPLIT_ATOMS atoms. Opt-in
// (GpuCalculator.setTiledMessages, `bench --tiled-messages`): it is slower than message.cu's
// kernel (performance.md, entry 64), and kept as the working base of that form.
//
// Why the form: in message.cu each feature thread forms its three filter values per edge,
// pre = φ·W_fᵀ + b_f, with 60 multiply-adds, about half the instructions it issues
// (performance.md, "Where the time goes now"). Here eight producer warps form the filter of a
// tile of edges at once on the FP64 tensor cores (mma m16n8k8: φ and W_f widened to double, the
// products exact, the sums in double, rounded once to T) into a ring of shared-memory tiles,
// beside the edge loop; four consumer warps, one thread per feature, walk the edges as message.cu
// does and read their three values per edge from the tile. Producers and consumers hand tiles
// over through named barriers: "tile r full" (producers arrive, consumers wait) and "tile r
// empty" (the reverse), so the producers run up to RING tiles ahead. Entry 63's stand-in
// (kernels/dev/filter_tiles.cu) measured the form.
//
// Why it is slower: the ring and W_f widened (77 KB) leave one block per multiprocessor, so one
// consumer warp per scheduler walks every edge, and its gathers and row bookkeeping, about 45
// instructions per edge, run at the latency of one warp (entry 64: the consumers bound the
// kernel at 2.5 times the producers' own time). The backward kernel is not built in this form.
//
// One block per multiprocessor, persistent over a run of atoms whose rows hold about E / grid
// edges (found by a block-wide search of rowStart), because each block first takes in W_f: many
// small blocks would each take it in again. Sums over a row run in edge order: no atomics, and
// the results do not depend on the grid. The filter is rounded once from a double sum instead of
// summed in T, so float32 results differ from message.cu's in the last bits.
#include <type_traits>

#include "message.cuh"

#define MESSAGE_FWD_TILED_PARAMS(T)                                                                     \
    (int nAtoms, int K, const int* rowStart, const int* center, const int* neighbor, const T* W, const T* bias, \
     int row0, const T* phi, const T* fc, const T* u, const T* x, const T* s, const T* v, T* sOut, T* vOut)
#define MESSAGE_FWD_TILED_ARGS \
    (nAtoms, K, rowStart, center, neighbor, W, bias, row0, phi, fc, u, x, s, v, sOut, vOut)

// Hopper only: before it there is no m16n8k8 in float64. The entry points exist on every
// architecture (one module for all) but MessageKernels launches them only on Hopper.
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
namespace tiled {

constexpr int F = 128, KMAX = 20, KP = 24, NOUT = 3 * F;  // KP: k padded to the mma's 8
constexpr int CONSUMERS = F, PW = 8, PRODUCERS = 32 * PW, THREADS = CONSUMERS + PRODUCERS;
constexpr int RING = 2;
// named barriers: 1.. RING tile r full, RING + 1.. 2·RING tile r empty; the producers' own and the
// consumers' own (0 is __syncthreads, used only before the roles part)
constexpr int BAR_FULL = 1, BAR_EMPTY = 1 + RING, BAR_PRODUCERS = 15, BAR_CONSUMERS = 14;

// A float32 tile holds 32 edges (each weight fragment then feeds two products), a float64 one 16,
// so that the ring fits in shared memory.
template <typename T> struct Tiles {
    static constexpr int TILE = sizeof(T) == 4 ? 32 : 16;
    static constexpr int MT = TILE / 16;  // mma row tiles per tile
    double w[NOUT][KP + 1];               // W_f's rows of this layer, widened; padded against bank conflicts
    double bias[NOUT];
    double ph[RING][TILE][KP];            // φ of each tile's edges, widened
    T out[RING][TILE][NOUT];              // the filter of each tile's edges
};

PAINN_DEVICE void bar_sync(int id, int count) { asm volatile("bar.sync %0, %1;" ::"r"(id), "r"(count) : "memory"); }
PAINN_DEVICE void bar_arrive(int id, int count) { asm volatile("bar.arrive %0, %1;" ::"r"(id), "r"(count) : "memory"); }

// The first atom a in [0, n] whose row starts at or after edge `target` (rowStart is
// non-decreasing and rowStart[n] = E ≥ target), by a search in which every thread of the block
// probes one position per round: two rounds for up to (blockDim.x)² atoms. Every thread calls it.
PAINN_DEVICE int atom_at_edge(const int* __restrict__ rowStart, int n, long long target) {
    int lo = 0, hi = n;  // the answer lies in [lo, hi]
    while (lo < hi) {
        int step = (hi - lo + blockDim.x - 1) / blockDim.x;
        long long at = lo + (long long)step * threadIdx.x;
        // the probes below the target come first: their count places the answer
        int below = __syncthreads_count(at < hi && rowStart[at] < target);
        if (below == 0) break;
        int last = lo + step * (below - 1);
        hi = (int)min((long long)hi, (long long)lo + (long long)step * below);
        lo = last + 1;
    }
    return lo;
}

// This block's atoms [a0, a1): block b starts at the first row starting at or after b·E/grid;
// block 0 at atom 0 and the last block ends at atom n, so that every atom (empty rows included)
// has exactly one block. Every thread calls it.
struct AtomRun {
    int a0, a1;
    PAINN_DEVICE AtomRun(const int* __restrict__ rowStart, int n) {
        long long E = rowStart[n], G = gridDim.x, b = blockIdx.x;
        a0 = atom_at_edge(rowStart, n, b * E / G);
        a1 = b == G - 1 ? n : atom_at_edge(rowStart, n, (b + 1) * E / G);
        if (b == 0) a0 = 0;
    }
};

// W_f's rows row0.. row0 + 3F of this layer and their biases, widened, into shared memory (all threads).
template <typename T>
PAINN_DEVICE void load_weights(Tiles<T>& sh, const T* __restrict__ W, const T* __restrict__ bias, int row0, int K) {
    for (int t = threadIdx.x; t < NOUT * KP; t += blockDim.x) {
        int o = t / KP, k = t % KP;
        sh.w[o][k] = k < K ? (double)W[(size_t)(row0 + o) * K + k] : 0.0;
    }
    for (int o = threadIdx.x; o < NOUT; o += blockDim.x) sh.bias[o] = (double)bias[row0 + o];
}

// The producer warps (threadIdx.x ≥ CONSUMERS): the filter of every tile of edges [E0, E1), in
// order. Warp p forms output columns [NP·p, NP·(p + 1)); φ of the next tile is loaded into
// registers while this one is multiplied.
template <typename T>
PAINN_DEVICE void produce(Tiles<T>& sh, int E0, int E1, int K, const T* __restrict__ phi) {
    using S = Tiles<T>;
    constexpr int TILE = S::TILE, MT = S::MT, NP = NOUT / PW, PV = (TILE * KP + PRODUCERS - 1) / PRODUCERS;
    int tiles = (E1 - E0 + TILE - 1) / TILE;
    int pt = threadIdx.x - CONSUMERS, p = pt / 32, lane = pt % 32;
    auto fetch = [&](int i, T (&pv)[PV]) {
#pragma unroll
        for (int v = 0; v < PV; v++) {
            int t = pt + v * PRODUCERS, q = t / KP, k = t % KP, e = E0 + i * TILE + q;
            pv[v] = (t < TILE * KP && k < K && e < E1) ? phi[(size_t)e * K + k] : T(0);
        }
    };
    T pv[PV];
    if (tiles > 0) fetch(0, pv);
    for (int i = 0; i < tiles; i++) {
        int r = i % RING;
        if (i >= RING) bar_sync(BAR_EMPTY + r, THREADS);  // the consumers are done with tile r
#pragma unroll
        for (int v = 0; v < PV; v++) {
            int t = pt + v * PRODUCERS;
            if (t < TILE * KP) sh.ph[r][t / KP][t % KP] = (double)pv[v];
        }
        bar_sync(BAR_PRODUCERS, PRODUCERS);
        if (i + 1 < tiles) fetch(i + 1, pv);
        // m16n8k8: lane (g, t) = (lane / 4, lane % 4) holds A(g, t), A(g + 8, t), A(g, t + 4),
        // A(g + 8, t + 4) of each k step of 8, B(t, g) and B(t + 4, g), and of the product rows
        // g and g + 8, columns 2t and 2t + 1 (dense.cuh's MmaTiles uses the same layout)
        int g = lane / 4, tq = lane % 4;
        double a[MT][KP / 8][4];
#pragma unroll
        for (int mt = 0; mt < MT; mt++)
#pragma unroll
            for (int s8 = 0; s8 < KP / 8; s8++)
#pragma unroll
                for (int e = 0; e < 4; e++)
                    a[mt][s8][e] = sh.ph[r][16 * mt + g + 8 * (e % 2)][8 * s8 + tq + 4 * (e / 2)];
#pragma unroll
        for (int j = 0; j < NP / 8; j++) {
            int n0 = NP * p + 8 * j, o = n0 + 2 * tq;
            double b0 = sh.bias[o], b1 = sh.bias[o + 1];
            double d[MT][4];
#pragma unroll
            for (int mt = 0; mt < MT; mt++) {  // the filter starts from its bias, as message.cu's sums do
                d[mt][0] = d[mt][2] = b0;
                d[mt][1] = d[mt][3] = b1;
            }
#pragma unroll
            for (int s8 = 0; s8 < KP / 8; s8++) {
                double w0 = sh.w[n0 + g][8 * s8 + tq], w1 = sh.w[n0 + g][8 * s8 + tq + 4];
#pragma unroll
                for (int mt = 0; mt < MT; mt++)  // each weight fragment serves MT row tiles
                    asm("mma.sync.aligned.m16n8k8.row.col.f64.f64.f64.f64 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
                        "{%8, %9}, {%0, %1, %2, %3};"
                        : "+d"(d[mt][0]), "+d"(d[mt][1]), "+d"(d[mt][2]), "+d"(d[mt][3])
                        : "d"(a[mt][s8][0]), "d"(a[mt][s8][1]), "d"(a[mt][s8][2]), "d"(a[mt][s8][3]), "d"(w0),
                          "d"(w1));
            }
#pragma unroll
            for (int mt = 0; mt < MT; mt++) {
                T* row = sh.out[r][16 * mt + g];
                row[o] = (T)d[mt][0];
                row[o + 1] = (T)d[mt][1];
                row[8 * NOUT + o] = (T)d[mt][2];
                row[8 * NOUT + o + 1] = (T)d[mt][3];
            }
        }
        bar_arrive(BAR_FULL + r, THREADS);  // tile r is full
    }
}

// The consumers' side of the ring: edge t (counted from the block's first) lies in tile t / TILE;
// at each tile's first edge the tile before is handed back and this one waited for.
template <int TILE> struct RingWalk {
    int tiles;
    PAINN_DEVICE int enter(int t) const {  // the ring slot of edge t's tile, once it is full
        int i = t / TILE;
        if (t % TILE == 0) {
            if (i > 0 && i - 1 + RING < tiles) bar_arrive(BAR_EMPTY + (i - 1) % RING, THREADS);
            bar_sync(BAR_FULL + i % RING, THREADS);
        }
        return i % RING;
    }
};

// The consumers' span of edges: message.cu's Span without φ (the producers read it) and with each
// edge's centre atom (a row ends where the centre changes: no row bounds to load), copied in by
// the consumer threads alone.
template <typename T, bool BWD> struct ScalarSpan {
    static constexpr int N = Span<T, KMAX, BWD>::N, NS = Span<T, KMAX, BWD>::NS;
    T sc[N][NS];
    int j[N];
    int c[N];

    PAINN_DEVICE void stage(int e0, int cnt, const int* __restrict__ neighbor, const int* __restrict__ center,
                            const T* __restrict__ fcG, const T* __restrict__ dfcG, const T* __restrict__ uG) {
        int tid = threadIdx.x;
        for (int t = tid; t < cnt * 3; t += CONSUMERS) {
            int q = t / 3, k = t - q * 3;
            cp_async_small<sizeof(T)>(&sc[q][(BWD ? 2 : 1) + k], uG + (size_t)e0 * 3 + t);
        }
        for (int t = tid; t < cnt; t += CONSUMERS) {
            cp_async_small<sizeof(T)>(&sc[t][0], fcG + e0 + t);
            if (BWD) cp_async_small<sizeof(T)>(&sc[t][1], dfcG + e0 + t);
            cp_async_small<4>(&j[t], neighbor + e0 + t);
            cp_async_small<4>(&c[t], center + e0 + t);
        }
    }
};

}  // namespace tiled

template <typename T>
PAINN_DEVICE void painn_message_fwd_tiled_impl(int nAtoms, int K, const int* __restrict__ rowStart,
                                               const int* __restrict__ center, const int* __restrict__ neighbor,
                                               const T* __restrict__ W, const T* __restrict__ bias, int row0,
                                               const T* __restrict__ phi, const T* __restrict__ fc,
                                               const T* __restrict__ u, const T* __restrict__ x,
                                               const T* __restrict__ s, const T* __restrict__ v, T* __restrict__ sOut,
                                               T* __restrict__ vOut) {
    using namespace tiled;
    using Sh = Tiles<T>;
    using SpanT = ScalarSpan<T, false>;
    // gathers in flight per consumer thread: eight edges ahead in float32 (912 against 1,026 µs a
    // call at 16,384 atoms with four); float64 spills with eight
    constexpr int D = sizeof(T) == 4 ? 8 : 4, TILE = Sh::TILE;
    static_assert(SpanT::N % TILE == 0 && TILE % D == 0, "tiles start at a span's and a prefetch group's start");
    extern __shared__ __align__(16) unsigned char raw[];
    Sh& sh = *reinterpret_cast<Sh*>(raw);
    __shared__ __align__(16) SpanT sp[2];
    AtomRun run(rowStart, nAtoms);
    int a0 = run.a0, a1 = run.a1;
    load_weights(sh, W, bias, row0, K);
    __syncthreads();
    if (a0 >= a1) return;
    int E0 = rowStart[a0], E1 = rowStart[a1];
    if (threadIdx.x >= CONSUMERS) {
        produce(sh, E0, E1, K, phi);
        return;
    }
    RingWalk<TILE> ring{(E1 - E0 + TILE - 1) / TILE};
    int f = threadIdx.x;
    constexpr unsigned F3 = 3u * F;
    const T* __restrict__ xf = x + f;
    const T* __restrict__ vf = v + f;

    // the atom whose row is being summed, and its residual s, v (read when the row before ends)
    int cur = a0;
    T rs, rv0, rv1, rv2;
    auto residual = [&]() {
        if (cur >= a1) return;
        rs = s[(size_t)cur * F + f];
        rv0 = vf[(size_t)cur * F3];
        rv1 = vf[(size_t)cur * F3 + F];
        rv2 = vf[(size_t)cur * F3 + 2 * F];
    };
    residual();
    T sAcc = 0, v0 = 0, v1 = 0, v2 = 0;
    auto finish = [&]() {
        sOut[(size_t)cur * F + f] = rs + sAcc;
        vOut[(size_t)cur * F3 + f] = rv0 + v0;
        vOut[(size_t)cur * F3 + F + f] = rv1 + v1;
        vOut[(size_t)cur * F3 + 2 * F + f] = rv2 + v2;
        sAcc = v0 = v1 = v2 = T(0);
        cur++;
        residual();
    };

    int spans = (E1 - E0 + SpanT::N - 1) / SpanT::N;
    if (spans > 0) sp[0].stage(E0, min(SpanT::N, E1 - E0), neighbor, center, fc, nullptr, u);
    cp_async_commit();
    T nx[D][3], nv[D][3];
    for (int si = 0; si < spans; si++) {
        int e0 = E0 + si * SpanT::N, cnt = min(SpanT::N, E1 - e0);
        if (si + 1 < spans) {
            int e1 = e0 + SpanT::N;
            sp[(si + 1) & 1].stage(e1, min(SpanT::N, E1 - e1), neighbor, center, fc, nullptr, u);
        }
        cp_async_commit();
        cp_async_wait<1>();
        bar_sync(BAR_CONSUMERS, CONSUMERS);
        SpanT& S = sp[si & 1];
        // the neighbour rows of edge q into slot d (past the span's end: its last edge again, so
        // that no load is conditional)
        auto fetch = [&](int d, int q) {
            size_t at = (size_t)S.j[min(q, cnt - 1)] * F3;
            nx[d][0] = xf[at];
            nx[d][1] = xf[at + F];
            nx[d][2] = xf[at + 2 * F];
            nv[d][0] = vf[at];
            nv[d][1] = vf[at + F];
            nv[d][2] = vf[at + 2 * F];
        };
#pragma unroll
        for (int d = 0; d < D; d++) fetch(d, d);
        // the edges of one tile, unrolled: slots, tile rows and span entries at fixed offsets;
        // PARTIAL: the span's last tile, which may end early
        auto edges = [&](auto partial, int t0, const T* __restrict__ tile) {
#pragma unroll
            for (int q = 0; q < TILE; q++) {
                int qq = t0 + q, d = q % D;
                if constexpr (decltype(partial)::value) {
                    if (qq >= cnt) break;
                }
                int c = S.c[qq];
                while (cur != c) finish();
                T xa = nx[d][0], xb = nx[d][1], xc = nx[d][2];
                T vj0 = nv[d][0], vj1 = nv[d][1], vj2 = nv[d][2];
                fetch(d, qq + D);
                const T* w = tile + q * NOUT;
                T pa = w[0], pb = w[F], pc = w[2 * F];
                T e4[4];
                load4(S.sc[qq], e4);
                T fce = e4[0];
                T a = pa * fce * xa, b = pb * fce * xb, cc = pc * fce * xc;
                sAcc += a;
                v0 += b * e4[1] + cc * vj0;
                v1 += b * e4[2] + cc * vj1;
                v2 += b * e4[3] + cc * vj2;
            }
        };
        for (int t0 = 0; t0 < cnt; t0 += TILE) {
            const T* tile = &sh.out[ring.enter(e0 - E0 + t0)][0][f];
            if (cnt - t0 >= TILE) edges(std::false_type{}, t0, tile);
            else edges(std::true_type{}, t0, tile);
        }
        // every consumer done with this span before the next but one is copied into its buffer
        bar_sync(BAR_CONSUMERS, CONSUMERS);
    }
    while (cur < a1) finish();
}

#define TILED_KERNEL(name, impl, T, PARAMS, args)                                                       \
    extern "C" __global__ void __launch_bounds__(tiled::THREADS, 1) name PARAMS(T) {                      \
        painn_grid_dependency();                                                                          \
        impl<T> args;                                                                                     \
    }
#define TILED_SHARED_BYTES(T) sizeof(tiled::Tiles<T>)
#else
#define TILED_KERNEL(name, impl, T, PARAMS, args) \
    extern "C" __global__ void name PARAMS(T) { painn_grid_dependency(); }
#define TILED_SHARED_BYTES(T) 0u
#endif

// Each kernel's dynamic shared memory, read by the host (MessageKernels) when it loads the
// module, so that the launch's size cannot drift from the struct's.
extern "C" __device__ const unsigned painn_message_fwd_tiled_f32_k20_f128_shared = TILED_SHARED_BYTES(float);
extern "C" __device__ const unsigned painn_message_fwd_tiled_f64_k20_f128_shared = TILED_SHARED_BYTES(double);

TILED_KERNEL(painn_message_fwd_tiled_f32_k20_f128, painn_message_fwd_tiled_impl, float, MESSAGE_FWD_TILED_PARAMS,
             MESSAGE_FWD_TILED_ARGS)
TILED_KERNEL(painn_message_fwd_tiled_f64_k20_f128, painn_message_fwd_tiled_impl, double, MESSAGE_FWD_TILED_PARAMS,
             MESSAGE_FWD_TILED_ARGS)
