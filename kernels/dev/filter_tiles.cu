// Whether the message kernels' filter would pay on the tensor cores when formed beside the edge
// loop instead of between barriers (performance.md, entries 59 and 62; Hopper, sm_90). A stand-in
// of the forward message kernel at F = 128, K = 20: per edge e and feature f, the filter
// W_e = φ_e · W_fᵀ (3F outputs), then a message term a·x + b·y + c·z with x, y, z gathered from a
// neighbour's row, summed per feature over the block's edges. Two forms, the same edges:
//   fma   the shipped form: each of 128 feature threads holds its 3·K weights in registers and
//         forms its three filter values from φ (read from shared memory) with 60 multiply-adds
//   mma   eight producer warps form the filter of 16 (or 32) edges at a time on the FP64 tensor cores
//         (m16n8k8, φ and W_f widened to double, exact products, float64 sums) into a ring of
//         shared-memory tiles; four consumer warps read their three values per edge from it.
//         Producers and consumers hand tiles over through named barriers (bar.arrive / bar.sync).
//         Also timed without the consumers' gathers, to tell the producers' own time.
// One block per multiprocessor (256 threads; 384 for mma), each over its own run of edges; the
// time of the whole grid, and the largest difference between the two forms' sums.
//
// Stand-alone (not part of the library): on a machine with nvcc and an sm_90 GPU,
//   nvcc -std=c++17 -O3 -arch=sm_90 kernels/dev/filter_tiles.cu -o /tmp/filter_tiles && /tmp/filter_tiles
// (-DTILE_EDGES=32: tiles of 32 edges, each weight fragment feeding two products;
// -DFILTER_BWD=1: the backward kernel's pair, the filter and its derivative φ'·W_f, both per edge)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "check.cuh"

constexpr int F = 128, K = 20, KP = 24, NOUT = 3 * F;  // KP: k padded to the mma's 4
#ifndef TILE_EDGES
#define TILE_EDGES 16
#endif
#ifndef FILTER_BWD
#define FILTER_BWD 0
#endif
constexpr int NB = FILTER_BWD ? 2 : 1;                  // products per edge: the filter (and its derivative)
constexpr int TILE = TILE_EDGES;                        // edges per tile: 16 or 32 (one or two mma row tiles)
constexpr int RING = TILE * NB == 16 ? 4 : 2;           // tiles in flight (shared memory holds no more)
constexpr int MT = TILE / 16;
static_assert(TILE * NB <= 32, "shared memory: tiles of 32 edges for the forward pass alone");
constexpr int THREADS = 256;                            // the fma form
constexpr int PW = 8;                                   // producer warps of the mma form
constexpr int MMA_THREADS = 128 + 32 * PW;              // four consumer warps and the producers

__device__ __forceinline__ int neighbour(int e, int n) { return (int)(((unsigned)e * 2654435761u) % (unsigned)n); }
// x, y, z of feature f of the neighbours of TILE edges from e0, all loads in flight at once (as the
// message kernel keeps its gathers ahead of its arithmetic); zeros past e1
__device__ __forceinline__ void gather(float (&xv)[TILE][3], int e0, int e1, int n, const float* __restrict__ x, int f) {
#pragma unroll
    for (int q = 0; q < TILE; q++) {
        int e = e0 + q;
        const float* xj = x + (size_t)neighbour(min(e, e1 - 1), n) * 3 * F;
        bool in = e < e1;
        xv[q][0] = in ? __ldg(xj + f) : 0.f;
        xv[q][1] = in ? __ldg(xj + F + f) : 0.f;
        xv[q][2] = in ? __ldg(xj + 2 * F + f) : 0.f;
    }
}

// The shipped form: one thread per feature and half of each chunk of 2·TILE edges, so that all
// 256 threads work (as the real kernel's do).
__global__ void __launch_bounds__(THREADS) filter_fma(int E, int n, const float* __restrict__ phi,
                                                      const float* __restrict__ dphi, const float* __restrict__ wf,
                                                      const float* __restrict__ x, float* __restrict__ out) {
    __shared__ __align__(16) float ph[NB][2][TILE][KP];
    int f = threadIdx.x % F, half = threadIdx.x / F;
    float w[3][K];
#pragma unroll
    for (int b = 0; b < 3; b++)
#pragma unroll
        for (int k = 0; k < K; k++) w[b][k] = __ldg(wf + (size_t)(b * F + f) * K + k);
    int per = (E + gridDim.x - 1) / gridDim.x;
    int e0 = blockIdx.x * per, e1 = min(E, e0 + per);
    float acc = 0;
    for (int t0 = e0; t0 < e1; t0 += 2 * TILE) {
        __syncthreads();
        for (int t = threadIdx.x; t < NB * 2 * TILE * K; t += blockDim.x) {
            int nb = t / (2 * TILE * K), h = (t / (TILE * K)) % 2, q = (t / K) % TILE, k = t % K, e = t0 + h * TILE + q;
            ph[nb][h][q][k] = e < e1 ? (nb ? dphi : phi)[(size_t)e * K + k] : 0.f;
        }
        __syncthreads();
        float xv[TILE][3];
        gather(xv, t0 + half * TILE, e1, n, x, f);
#pragma unroll
        for (int q = 0; q < TILE; q++) {
#pragma unroll
            for (int nb = 0; nb < NB; nb++) {  // the derivative's term weighted by a half
                const float* p = ph[nb][half][q];
                float a = 0, b = 0, c = 0;
#pragma unroll
                for (int k = 0; k < K; k += 4) {
                    float4 v = *reinterpret_cast<const float4*>(p + k);
                    a += v.x * w[0][k] + v.y * w[0][k + 1] + v.z * w[0][k + 2] + v.w * w[0][k + 3];
                    b += v.x * w[1][k] + v.y * w[1][k + 1] + v.z * w[1][k + 2] + v.w * w[1][k + 3];
                    c += v.x * w[2][k] + v.y * w[2][k + 1] + v.z * w[2][k + 2] + v.w * w[2][k + 3];
                }
                acc += (nb ? 0.5f : 1.f) * (a * xv[q][0] + b * xv[q][1] + c * xv[q][2]);  // zero past the run's end
            }
        }
    }
    out[(size_t)blockIdx.x * THREADS + threadIdx.x] = acc;
}

// Named barriers: ids 1..RING "tile r full" (producers arrive, consumers sync), RING+1..2·RING
// "tile r empty" (consumers arrive, producers sync), all MMA_THREADS threads each; 15 the
// producers alone.
__device__ __forceinline__ void bar_sync(int id) { asm volatile("bar.sync %0, %1;" ::"r"(id), "r"(MMA_THREADS) : "memory"); }
__device__ __forceinline__ void bar_arrive(int id) { asm volatile("bar.arrive %0, %1;" ::"r"(id), "r"(MMA_THREADS) : "memory"); }

struct TilesShared {
    double w[NOUT][KP + 1];      // W_f widened, padded against bank conflicts
    double ph[RING][NB][TILE][KP];    // φ (and φ') of each tile's edges, widened
    float out[RING][NB][TILE][NOUT];  // the filter (and its derivative) of each tile's edges
};

template <bool GATHER>
__global__ void __launch_bounds__(MMA_THREADS, 1) filter_mma(int E, int n, const float* __restrict__ phi,
                                                          const float* __restrict__ dphi, const float* __restrict__ wf,
                                                          const float* __restrict__ x, float* __restrict__ out) {
    extern __shared__ __align__(16) unsigned char raw[];
    TilesShared& sh = *reinterpret_cast<TilesShared*>(raw);
    for (int t = threadIdx.x; t < NOUT * KP; t += blockDim.x) {
        int o = t / KP, k = t % KP;
        sh.w[o][k] = k < K ? (double)__ldg(wf + (size_t)o * K + k) : 0.0;
    }
    __syncthreads();
    int per = (E + gridDim.x - 1) / gridDim.x;
    int e0 = blockIdx.x * per, e1 = min(E, e0 + per);
    int tiles = (e1 - e0 + TILE - 1) / TILE;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (warp >= 4) {
        // producer warp p: output columns [NP·p, NP·(p + 1)), NP / 8 n-tiles; φ of the next tile
        // loaded while this one is multiplied
        constexpr int NP = NOUT / PW, PT = 32 * PW, PV = (TILE * KP + PT - 1) / PT;
        int p = warp - 4, pt = threadIdx.x - 128;
        auto fetch = [&](int i, float (&pv)[NB][PV]) {
#pragma unroll
            for (int nb = 0; nb < NB; nb++)
#pragma unroll
                for (int v = 0; v < PV; v++) {
                    int t = pt + v * PT, q = t / KP, k = t % KP, e = e0 + i * TILE + q;
                    pv[nb][v] = (t < TILE * KP && k < K && e < e1) ? __ldg((nb ? dphi : phi) + (size_t)e * K + k) : 0.f;
                }
        };
        float pv[NB][PV];
        fetch(0, pv);
        for (int i = 0; i < tiles; i++) {
            int r = i % RING;
            if (i >= RING) bar_sync(1 + RING + r);  // the consumers are done with tile r
#pragma unroll
            for (int nb = 0; nb < NB; nb++)
#pragma unroll
                for (int v = 0; v < PV; v++) {
                    int t = pt + v * PT;
                    if (t < TILE * KP) sh.ph[r][nb][t / KP][t % KP] = (double)pv[nb][v];
                }
            asm volatile("bar.sync 15, %0;" ::"r"(PT) : "memory");  // producers only
            if (i + 1 < tiles) fetch(i + 1, pv);
            // m16n8k8: lane (g, t) = (lane / 4, lane % 4) holds A(g, t), A(g + 8, t), A(g, t + 4),
            // A(g + 8, t + 4) of each k step of 8, B(t, g) and B(t + 4, g), and of the product
            // rows g and g + 8, columns 2t and 2t + 1 (dense.cuh's MmaTiles uses the same layout)
            int g = lane / 4, tq = lane % 4;
            constexpr int RT = NB * MT;  // row tiles per weight fragment: edges (and the derivative's)
            double a[RT][KP / 8][4];
#pragma unroll
            for (int mt = 0; mt < RT; mt++)
#pragma unroll
                for (int s8 = 0; s8 < KP / 8; s8++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        a[mt][s8][e] = sh.ph[r][mt / MT][16 * (mt % MT) + g + 8 * (e % 2)][8 * s8 + tq + 4 * (e / 2)];
#pragma unroll
            for (int j = 0; j < NP / 8; j++) {
                int n0 = NP * p + 8 * j;
                double d[RT][4] = {};
#pragma unroll
                for (int s8 = 0; s8 < KP / 8; s8++) {
                    double b0 = sh.w[n0 + g][8 * s8 + tq], b1 = sh.w[n0 + g][8 * s8 + tq + 4];
#pragma unroll
                    for (int mt = 0; mt < RT; mt++)  // each weight fragment serves RT row tiles
                        asm("mma.sync.aligned.m16n8k8.row.col.f64.f64.f64.f64 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
                            "{%8, %9}, {%0, %1, %2, %3};"
                            : "+d"(d[mt][0]), "+d"(d[mt][1]), "+d"(d[mt][2]), "+d"(d[mt][3])
                            : "d"(a[mt][s8][0]), "d"(a[mt][s8][1]), "d"(a[mt][s8][2]), "d"(a[mt][s8][3]), "d"(b0),
                              "d"(b1));
                }
                int o = n0 + 2 * tq;
#pragma unroll
                for (int mt = 0; mt < RT; mt++) {
                    float* row = sh.out[r][mt / MT][16 * (mt % MT) + g];
                    *reinterpret_cast<float2*>(row + o) = make_float2((float)d[mt][0], (float)d[mt][1]);
                    *reinterpret_cast<float2*>(row + 8 * NOUT + o) = make_float2((float)d[mt][2], (float)d[mt][3]);
                }
            }
            bar_arrive(1 + r);  // tile r is full
        }
    } else {
        int f = threadIdx.x;
        float acc = 0;
        for (int i = 0; i < tiles; i++) {
            int r = i % RING;
            int t0 = e0 + i * TILE;
            float xv[TILE][3];
            if (GATHER) gather(xv, t0, e1, n, x, f);  // before the wait: the gathers need no filter
            else
#pragma unroll
                for (int q = 0; q < TILE; q++) xv[q][0] = xv[q][1] = xv[q][2] = 1.f;
            bar_sync(1 + r);
#pragma unroll
            for (int q = 0; q < TILE; q++)
#pragma unroll
                for (int nb = 0; nb < NB; nb++) {
                    const float* w = sh.out[r][nb][q];
                    acc += (nb ? 0.5f : 1.f) * (w[f] * xv[q][0] + w[F + f] * xv[q][1] + w[2 * F + f] * xv[q][2]);
                }
            if (i + RING < tiles) bar_arrive(1 + RING + r);  // tile r may be refilled
        }
        out[(size_t)blockIdx.x * THREADS + threadIdx.x] = acc;
        return;
    }
}

int main() {
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    int blocks = prop.multiProcessorCount;
    std::printf("# %s, %d SMs; F = %d, K = %d, one block per multiprocessor, tiles of %d edges, %d in flight%s\n",
                prop.name, blocks, F, K, TILE, RING, NB == 2 ? "; the filter and its derivative (backward)" : "");
    std::printf("%8s %8s %10s %10s %16s %14s %12s\n", "atoms", "edges", "fma us", "mma us", "mma, no gathers", "max |diff|",
                "max |sum|");
    const int sizes[][2] = {{1024, 32924}, {16384, 604290}};
    for (auto& sz : sizes) {
        int n = sz[0], E = sz[1];
        std::vector<float> hphi((size_t)E * K), hdphi((size_t)E * K), hw((size_t)NOUT * K), hx((size_t)n * 3 * F);
        unsigned s = 7;
        auto rnd = [&] { return (float)((s = s * 1664525u + 1013904223u) >> 8) / (1 << 24) * 2 - 1; };
        for (auto& v : hphi) v = rnd();
        for (auto& v : hdphi) v = rnd();
        for (auto& v : hw) v = rnd() * 0.2f;
        for (auto& v : hx) v = rnd();
        float *phi, *dphi, *w, *x, *o1, *o2, *o3;
        CHECK(cudaMalloc(&phi, hphi.size() * 4));
        CHECK(cudaMalloc(&dphi, hdphi.size() * 4));
        CHECK(cudaMalloc(&w, hw.size() * 4));
        CHECK(cudaMalloc(&x, hx.size() * 4));
        CHECK(cudaMalloc(&o1, (size_t)blocks * THREADS * 4));
        CHECK(cudaMalloc(&o2, (size_t)blocks * THREADS * 4));
        CHECK(cudaMalloc(&o3, (size_t)blocks * THREADS * 4));
        CHECK(cudaMemcpy(phi, hphi.data(), hphi.size() * 4, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(dphi, hdphi.data(), hdphi.size() * 4, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(w, hw.data(), hw.size() * 4, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(x, hx.data(), hx.size() * 4, cudaMemcpyHostToDevice));
        CHECK(cudaMemset(o1, 0xff, (size_t)blocks * THREADS * 4));  // poisoned
        CHECK(cudaMemset(o2, 0xff, (size_t)blocks * THREADS * 4));
        size_t smem = sizeof(TilesShared);
        CHECK(cudaFuncSetAttribute(filter_mma<true>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
        CHECK(cudaFuncSetAttribute(filter_mma<false>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
        cudaEvent_t a, b;
        CHECK(cudaEventCreate(&a));
        CHECK(cudaEventCreate(&b));
        float t[3];
        for (int form = 0; form < 3; form++) {
            std::vector<float> ms;
            for (int i = 0; i < 30; i++) {
                CHECK(cudaEventRecord(a));
                if (form == 0) filter_fma<<<blocks, THREADS>>>(E, n, phi, dphi, w, x, o1);
                else if (form == 1) filter_mma<true><<<blocks, MMA_THREADS, smem>>>(E, n, phi, dphi, w, x, o2);
                else filter_mma<false><<<blocks, MMA_THREADS, smem>>>(E, n, phi, dphi, w, x, o3);  // producers alone
                CHECK(cudaGetLastError());
                CHECK(cudaEventRecord(b));
                CHECK(cudaEventSynchronize(b));
                float m;
                CHECK(cudaEventElapsedTime(&m, a, b));
                if (i >= 5) ms.push_back(m);
            }
            std::sort(ms.begin(), ms.end());
            t[form] = ms[ms.size() / 2] * 1000;
        }
        // the fma form's threads hold two halves of the edges per feature; the mma form's consumers
        // all of them: compare the per-feature totals
        std::vector<float> r1((size_t)blocks * THREADS), r2((size_t)blocks * THREADS);
        CHECK(cudaMemcpy(r1.data(), o1, r1.size() * 4, cudaMemcpyDeviceToHost));
        CHECK(cudaMemcpy(r2.data(), o2, r2.size() * 4, cudaMemcpyDeviceToHost));
        double maxDiff = 0, maxSum = 0;
        for (int bl = 0; bl < blocks; bl++)
            for (int f = 0; f < F; f++) {
                double v1 = (double)r1[(size_t)bl * THREADS + f] + r1[(size_t)bl * THREADS + F + f];
                double v2 = r2[(size_t)bl * THREADS + f];
                maxDiff = std::max(maxDiff, std::fabs(v1 - v2));
                maxSum = std::max(maxSum, std::fabs(v1));
            }
        std::printf("%8d %8d %10.1f %10.1f %16.1f %14.3e %12.3e\n", n, E, t[0], t[1], t[2], maxDiff, maxSum);
        CHECK(cudaFree(phi));
        CHECK(cudaFree(dphi));
        CHECK(cudaFree(w));
        CHECK(cudaFree(x));
        CHECK(cudaFree(o1));
        CHECK(cudaFree(o2));
        CHECK(cudaFree(o3));
    }
    return 0;
}
