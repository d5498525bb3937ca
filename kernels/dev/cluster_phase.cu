// What one phase of a single-cluster evaluation costs at its floor (Hopper, sm_90): a chain of
// dense F → F layers over n rows on one cluster of C blocks, each block owning F/C output
// columns with its weights resident in shared memory, as the one-kernel path (fused.cu) splits
// its dense layers. Block 0's clock over P phases, per phase, for five ways to hand a layer's
// output to the next layer:
//   barrier   the cluster barrier alone (no data)
//   product   the block's product from its own shared memory, then the barrier (no exchange)
//   l2        outputs stored to global memory, barrier, every block loads the whole input rows
//             back (ld.global.cg, as fused.cu does), then its product
//   dsmem     every output pushed into each block's shared memory (double-buffered by phase
//             parity, so one barrier per phase suffices), barrier, product
//   flags     no barrier at all: every output travels as one 8-byte word, its value and the
//             phase that wrote it (relaxed accesses, as NCCL's low-latency protocol does), and a
//             block starts a phase as soon as the words of its input rows carry that phase; the
//             words pushed into each block's shared memory (push; with one thread per output, k1,
//             or two, each half of k, k2), left in the producer's shared memory for the readers
//             to fetch (pull), or stored in global memory and read there (l2)
// and the float sums of the last layer, so that l2, dsmem and flags can be checked to agree. Two
// ways to wait for the cluster are compared (Sync, below), with 512 and 128 threads a block.
// Then, for a design whose blocks own atoms
// instead of features (no exchange between dense layers, but every block needs every weight),
// how fast one multiprocessor takes in 2.2 MB of weights held in L2 (the shipped model's float32
// weights), while the cluster's 16 blocks all read them: 16-byte loads eight deep per thread,
// and the bulk copy engine (cp.async.bulk) into four 32 KB buffers. Last, the one-way latency of
// a signal between two blocks (pingpong, below).
//
// Stand-alone (not part of the library): on a machine with nvcc and an sm_90 GPU,
//   nvcc -std=c++17 -O3 -arch=sm_90 kernels/dev/cluster_phase.cu -o /tmp/cluster_phase && /tmp/cluster_phase
#include <cooperative_groups.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "check.cuh"

namespace cg = cooperative_groups;

constexpr int F = 128;
constexpr int THREADS = 512;
constexpr int LD = F + 4;  // padded rows of the staged input, 16-byte aligned

enum Mode { BARRIER, PRODUCT, L2, DSMEM };

// y[m][c] for the block's columns: one thread per (row, column), four partial sums over k; W is
// [k][cols], so the lanes of one row read consecutive words.
__device__ float dot_row(const float* a, const float* w, int cols) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma unroll 8
    for (int k = 0; k < F; k += 4) {
        float4 x = *reinterpret_cast<const float4*>(a + k);
        s0 += x.x * w[(k + 0) * cols];
        s1 += x.y * w[(k + 1) * cols];
        s2 += x.z * w[(k + 2) * cols];
        s3 += x.w * w[(k + 3) * cols];
    }
    return (s0 + s1) + (s2 + s3);
}

// The ways to wait for the whole cluster between two phases.
//   SYNC_CG     cooperative groups' cluster.sync(): every thread arrives (release) and waits (acquire)
//   SYNC_MBAR   the block's threads meet at __syncthreads(), C of them arrive on the C blocks'
//               mbarriers (release, cluster scope), one waits on its own (acquire), and the block
//               meets again; two mbarriers alternate by phase parity, so that a block already in
//               the next phase never arrives on a barrier still counting this one
enum Sync { SYNC_CG, SYNC_MBAR };

struct MbarSync {
    unsigned long long* bar;  // two per block, in static shared memory
    int C, parity;
    __device__ void init(unsigned long long* b, int c) {
        bar = b;
        C = c;
        parity = 0;
        if (threadIdx.x == 0) {
            for (int i = 0; i < 2; i++) {
                unsigned a = (unsigned)__cvta_generic_to_shared(bar + i);
                asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(a), "r"(C) : "memory");
            }
            asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
        }
    }
    __device__ void sync(int p) {
        __syncthreads();
        unsigned a = (unsigned)__cvta_generic_to_shared(bar + (p & 1));
        if (threadIdx.x < C) {
            unsigned remote;
            asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(remote) : "r"(a), "r"((int)threadIdx.x));
            asm volatile("mbarrier.arrive.release.cluster.shared::cluster.b64 _, [%0];" ::"r"(remote) : "memory");
        }
        if (threadIdx.x == 0) {
            unsigned ph = (unsigned)((p >> 1) & 1);
            unsigned done = 0;
            while (!done) {
                asm volatile(
                    "{ .reg .pred q; mbarrier.try_wait.parity.acquire.cluster.shared::cta.b64 q, [%1], %2; selp.u32 %0, 1, 0, q; }"
                    : "=r"(done)
                    : "r"(a), "r"(ph)
                    : "memory");
            }
        }
        __syncthreads();
    }
};

template <int MODE, int SYNC>
__global__ void __launch_bounds__(THREADS) chain(int n, int C, int P, const float* w, const float* x0, float* g,
                                                 float* out, long long* clk) {
    extern __shared__ __align__(16) float sm[];
    __shared__ unsigned long long bars[2];
    cg::cluster_group cluster = cg::this_cluster();
    MbarSync mb;
    if (SYNC == SYNC_MBAR) mb.init(bars, C);
    int r = (int)cluster.block_rank();
    int cols = F / C, c0 = r * cols;
    float* W = sm;                   // [F][cols]
    float* A0 = W + cols * F;        // [n][LD]
    float* A1 = A0 + n * LD;         // [n][LD]
    for (int t = threadIdx.x; t < cols * F; t += blockDim.x) W[t] = w[(size_t)(c0 + t % cols) * F + t / cols] * 0.01f;
    for (int t = threadIdx.x; t < n * F; t += blockDim.x) A0[(t / F) * LD + t % F] = x0[t];
    cluster.sync();
    long long start = clock64();
    for (int p = 0; p < P; p++) {
        float* Ain = (p & 1) ? A1 : A0;
        float* Aout = (p & 1) ? A0 : A1;
        float* gin = g + (size_t)(p & 1) * n * F;
        float* gout = g + (size_t)((p + 1) & 1) * n * F;
        if (MODE == L2 && p > 0) {
            for (int t = threadIdx.x; t < n * F / 4; t += blockDim.x) {
                int m = t / (F / 4), q = t % (F / 4);
                float4 v = __ldcg(reinterpret_cast<const float4*>(gin + (size_t)m * F) + q);
                *reinterpret_cast<float4*>(Ain + m * LD + 4 * q) = v;
            }
            __syncthreads();
        }
        if (MODE != BARRIER) {
            for (int t = threadIdx.x; t < n * cols; t += blockDim.x) {
                int m = t / cols, c = t % cols;
                float y = dot_row(Ain + m * LD, W + c, cols);
                y = y / (1.0f + __expf(-y)) + 0.5f;  // silu and a shift keep the chain from dying out
                if (MODE == PRODUCT) Aout[m * LD + c0 + c] = y;
                if (MODE == L2) __stcg(gout + (size_t)m * F + c0 + c, y);
                if (MODE == DSMEM) {
                    for (int q = 0; q < C; q++) cluster.map_shared_rank(Aout, q)[m * LD + c0 + c] = y;
                }
                if (p == P - 1) out[(size_t)m * F + c0 + c] = y;
            }
        }
        if (SYNC == SYNC_MBAR) mb.sync(p);
        else cluster.sync();
    }
    if (r == 0 && threadIdx.x == 0) clk[blockIdx.x / C] = clock64() - start;
}

// Launches kernel on one cluster of C blocks 25 times and returns block 0's cycles per phase
// (clk[0] over P phases), the median of the last 20 launches; *ms gets their mean time per launch.
template <typename... Params, typename... Args>
double time_cluster(void (*kernel)(Params...), int C, int threads, size_t smem, int P, long long* clk, float* ms,
                    Args... args) {
    CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
    CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeNonPortableClusterSizeAllowed, 1));
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3(C);
    cfg.blockDim = dim3(threads);
    cfg.dynamicSmemBytes = smem;
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeClusterDimension;
    at[0].val.clusterDim.x = C;
    at[0].val.clusterDim.y = 1;
    at[0].val.clusterDim.z = 1;
    cfg.attrs = at;
    cfg.numAttrs = 1;
    std::vector<long long> cycles;
    cudaEvent_t e0, e1;
    CHECK(cudaEventCreate(&e0));
    CHECK(cudaEventCreate(&e1));
    for (int i = 0; i < 25; i++) {
        if (i == 5) CHECK(cudaEventRecord(e0));
        CHECK(cudaLaunchKernelEx(&cfg, kernel, args...));
        CHECK(cudaGetLastError());
        if (i >= 5) {
            long long h;
            CHECK(cudaMemcpy(&h, clk, sizeof h, cudaMemcpyDeviceToHost));
            cycles.push_back(h);
        }
    }
    CHECK(cudaEventRecord(e1));
    CHECK(cudaEventSynchronize(e1));
    CHECK(cudaEventElapsedTime(ms, e0, e1));
    CHECK(cudaEventDestroy(e0));
    CHECK(cudaEventDestroy(e1));
    *ms /= 20;
    std::sort(cycles.begin(), cycles.end());
    return (double)cycles[cycles.size() / 2] / P;
}

template <int MODE, int SYNC>
double run(int n, int C, int P, const float* w, const float* x0, float* g, float* out, long long* clk, float* ms,
           int threads = THREADS) {
    size_t smem = (size_t)(F / C * F + 2 * n * LD) * sizeof(float);
    return time_cluster(chain<MODE, SYNC>, C, threads, smem, P, clk, ms, n, C, P, w, x0, g, out, clk);
}

// Every block reads the same `bytes` of read-only data; clk gets block 0's cycles.
__global__ void __launch_bounds__(THREADS) stream_ldg(const float4* src, size_t n4, float* sink, long long* clk) {
    long long start = clock64();
    float4 acc = make_float4(0, 0, 0, 0);
    for (size_t i = threadIdx.x; i < n4; i += 8 * blockDim.x) {
        float4 v[8];
#pragma unroll
        for (int q = 0; q < 8; q++) v[q] = i + q * blockDim.x < n4 ? __ldg(src + i + q * blockDim.x) : make_float4(0, 0, 0, 0);
#pragma unroll
        for (int q = 0; q < 8; q++) {
            acc.x += v[q].x;
            acc.y += v[q].y;
            acc.z += v[q].z;
            acc.w += v[q].w;
        }
    }
    __syncthreads();
    if (threadIdx.x == 0 && blockIdx.x == 0) clk[0] = clock64() - start;
    if (acc.x + acc.y + acc.z + acc.w == 12345.0f) sink[threadIdx.x] = acc.x;  // keeps the loads
}

constexpr int BULK = 32768, NBUF = 4;
__global__ void __launch_bounds__(THREADS) stream_bulk(const char* src, size_t bytes, long long* clk) {
    extern __shared__ __align__(128) unsigned char buf[];
    __shared__ __align__(8) unsigned long long bar[NBUF];
    long long start = clock64();
    int chunks = (int)(bytes / BULK);
    if (threadIdx.x == 0) {
        for (int b = 0; b < NBUF; b++) {
            unsigned a = (unsigned)__cvta_generic_to_shared(bar + b);
            asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(a) : "memory");
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
        auto issue = [&](int c) {
            int b = c % NBUF;
            unsigned a = (unsigned)__cvta_generic_to_shared(bar + b);
            unsigned d = (unsigned)__cvta_generic_to_shared(buf + b * BULK);
            asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(a), "r"(BULK) : "memory");
            asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(d),
                         "l"(src + (size_t)c * BULK), "r"(BULK), "r"(a)
                         : "memory");
        };
        for (int c = 0; c < NBUF && c < chunks; c++) issue(c);
        for (int c = 0; c < chunks; c++) {
            int b = c % NBUF;
            unsigned a = (unsigned)__cvta_generic_to_shared(bar + b);
            unsigned ph = (unsigned)((c / NBUF) & 1), done = 0;
            while (!done) {
                asm volatile(
                    "{ .reg .pred q; mbarrier.try_wait.parity.shared::cta.b64 q, [%1], %2; selp.u32 %0, 1, 0, q; }"
                    : "=r"(done)
                    : "r"(a), "r"(ph)
                    : "memory");
            }
            if (c + NBUF < chunks) issue(c + NBUF);
        }
    }
    __syncthreads();
    if (threadIdx.x == 0 && blockIdx.x == 0) clk[0] = clock64() - start;
}

// One-way latency of a signal between two blocks of a cluster: block 0 and block 1 pass a counter
// back and forth ROUNDS times, four ways:
//   dsmem     st.release.cluster into the other block's shared memory, ld.acquire.cluster polling
//             its own (what a consumer needs to read the producer's data after the flag)
//   relaxed   the same with relaxed accesses: the transport alone, no ordering of other data
//   global    a word per block in global memory, release/acquire at cluster scope, polled in L2
//   mbarrier  mbarrier.arrive.release.cluster on the other block's barrier, try_wait.acquire on
//             its own
// A chain of phases that waited on per-row signals instead of barriers would pay at least this
// per dependent step.
constexpr int ROUNDS = 2000;
enum Signal { SIG_DSMEM, SIG_RELAXED, SIG_GLOBAL, SIG_MBAR };
template <int SIG>
__global__ void __cluster_dims__(2, 1, 1) pingpong(unsigned* gflag, long long* clk) {
    __shared__ unsigned flag;
    __shared__ __align__(8) unsigned long long bar;
    cg::cluster_group cluster = cg::this_cluster();
    int r = (int)cluster.block_rank();
    if (threadIdx.x == 0) {
        flag = 0;
        unsigned a = (unsigned)__cvta_generic_to_shared(&bar);
        asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(a) : "memory");
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    if (SIG == SIG_GLOBAL && threadIdx.x == 0 && r == 0) gflag[0] = gflag[1] = 0;
    cluster.sync();
    if (threadIdx.x != 0) return;  // exited threads do not count at a cluster barrier
    unsigned* mine = SIG == SIG_GLOBAL ? gflag + r : &flag;
    unsigned* theirs = SIG == SIG_GLOBAL ? gflag + (1 - r) : cluster.map_shared_rank(&flag, 1 - r);
    unsigned myBar = (unsigned)__cvta_generic_to_shared(&bar), theirBar;
    asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(theirBar) : "r"(myBar), "r"(1 - r));
    auto send = [&](unsigned k) {
        if (SIG == SIG_MBAR)
            asm volatile("mbarrier.arrive.release.cluster.shared::cluster.b64 _, [%0];" ::"r"(theirBar) : "memory");
        else if (SIG == SIG_RELAXED)
            asm volatile("st.relaxed.cluster.u32 [%0], %1;" ::"l"(theirs), "r"(k) : "memory");
        else
            asm volatile("st.release.cluster.u32 [%0], %1;" ::"l"(theirs), "r"(k) : "memory");
    };
    auto receive = [&](unsigned k) {
        if (SIG == SIG_MBAR) {
            unsigned done = 0, ph = (k - 1) & 1;
            while (!done)
                asm volatile(
                    "{ .reg .pred q; mbarrier.try_wait.parity.acquire.cluster.shared::cta.b64 q, [%1], %2; selp.u32 %0, 1, 0, q; }"
                    : "=r"(done)
                    : "r"(myBar), "r"(ph)
                    : "memory");
        } else {
            unsigned v = 0;
            do {
                if (SIG == SIG_RELAXED) asm volatile("ld.relaxed.cluster.u32 %0, [%1];" : "=r"(v) : "l"(mine) : "memory");
                else asm volatile("ld.acquire.cluster.u32 %0, [%1];" : "=r"(v) : "l"(mine) : "memory");
            } while (v != k);
        }
    };
    long long start = clock64();
    for (unsigned k = 1; k <= ROUNDS; k++) {
        if (r == 0) {
            send(k);
            receive(k);
        } else {
            receive(k);
            send(k);
        }
    }
    if (r == 0) clk[0] = clock64() - start;
    cluster.sync();  // neither block leaves while the other may still write to it
}

void pingpongs(long long* clk) {
    unsigned* g;
    CHECK(cudaMalloc(&g, 2 * sizeof(unsigned)));
    const char* names[] = {"dsmem", "relaxed", "global", "mbarrier"};
    for (int way = 0; way < 4; way++) {
        std::vector<long long> c;
        for (int i = 0; i < 11; i++) {
            if (way == SIG_DSMEM) pingpong<SIG_DSMEM><<<2, 32>>>(g, clk);
            else if (way == SIG_RELAXED) pingpong<SIG_RELAXED><<<2, 32>>>(g, clk);
            else if (way == SIG_GLOBAL) pingpong<SIG_GLOBAL><<<2, 32>>>(g, clk);
            else pingpong<SIG_MBAR><<<2, 32>>>(g, clk);
            CHECK(cudaGetLastError());
            long long h;
            CHECK(cudaMemcpy(&h, clk, sizeof h, cudaMemcpyDeviceToHost));
            c.push_back(h);
        }
        std::sort(c.begin(), c.end());
        std::printf("signal   %-8s one way between two blocks of a cluster: %.0f cycles\n", names[way],
                    (double)c[c.size() / 2] / (2.0 * ROUNDS));
    }
}

void streams(long long* clk) {
    const size_t bytes = (size_t)70 * BULK;  // 2.29 MB
    char* src;
    float* sink;
    CHECK(cudaMalloc(&src, bytes));
    CHECK(cudaMemset(src, 0, bytes));
    CHECK(cudaMalloc(&sink, THREADS * sizeof(float)));
    CHECK(cudaFuncSetAttribute(stream_bulk, cudaFuncAttributeMaxDynamicSharedMemorySize, NBUF * BULK));
    for (int blocks : {1, 16, 132}) {
        for (int way = 0; way < 2; way++) {
            std::vector<long long> c;
            for (int i = 0; i < 15; i++) {
                if (way == 0) stream_ldg<<<blocks, THREADS>>>(reinterpret_cast<const float4*>(src), bytes / 16, sink, clk);
                else stream_bulk<<<blocks, THREADS, NBUF * BULK>>>(src, bytes, clk);
                CHECK(cudaGetLastError());
                long long h;
                CHECK(cudaMemcpy(&h, clk, sizeof h, cudaMemcpyDeviceToHost));
                if (i >= 5) c.push_back(h);
            }
            std::sort(c.begin(), c.end());
            std::printf("stream   %-5s %4d blocks: %zu bytes each in %lld cycles, %.1f B/cycle per multiprocessor\n",
                        way == 0 ? "ldg" : "bulk", blocks, bytes, c[c.size() / 2], (double)bytes / c[c.size() / 2]);
        }
    }
}

// The flags chain (see the head of the file). Words of phase p sit in buffer p & 1 with tag p + 1;
// a block reads phase p's buffer only after its own outputs of phase p - 1 are out, and a block
// writes phase p + 1's outputs into that buffer only after it has read every block's outputs of
// phase p, each of which was stored after its block read phase p's buffer (the __syncthreads
// between a block's reads and its stores), so one buffer is never overwritten while still read.
enum Way { PUSH, PULL, VIA_L2 };
template <int KS, int WAY>
__global__ void __launch_bounds__(THREADS) chain_flags(int n, int C, int P, const float* w, const float* x0, float* out,
                                                       unsigned long long* g, long long* clk) {
    extern __shared__ __align__(16) float sm[];
    cg::cluster_group cluster = cg::this_cluster();
    int r = (int)cluster.block_rank();
    int cols = F / C, c0 = r * cols;
    float* W = sm;                                                            // [F][cols]
    float* A = W + cols * F;                                                  // two stagings [n][LD]
    unsigned long long* buf = reinterpret_cast<unsigned long long*>(A + 2 * n * LD);  // two [n][F] words
    for (int t = threadIdx.x; t < cols * F; t += blockDim.x) W[t] = w[(size_t)(c0 + t % cols) * F + t / cols] * 0.01f;
    for (int t = threadIdx.x; t < n * F; t += blockDim.x) {
        unsigned long long first = (1ull << 32) | __float_as_uint(x0[t]);  // phase 0's inputs, tag 1
        buf[t] = first;
        buf[n * F + t] = 0;
        if (WAY == VIA_L2 && (t % F) / cols == r) {  // each block its own columns: no stale tags
            g[t] = first;
            g[n * F + t] = 0;
        }
    }
    cluster.sync();
    long long start = clock64();
    for (int p = 0; p < P; p++) {
        const unsigned long long* in = buf + (size_t)(p & 1) * n * F;
        unsigned long long* nextBuf = buf + (size_t)((p + 1) & 1) * n * F;
        float* Ain = A + (p & 1) * n * LD;
        unsigned tag = (unsigned)p + 1;
        // every word of the thread in flight at once, then again only those not yet tagged
        constexpr int MAXW = 16;  // n·F / THREADS words a thread at most (n ≤ 64)
        unsigned pending = 0;
        for (int i = 0; i < MAXW; i++)
            if (threadIdx.x + i * blockDim.x < n * F) pending |= 1u << i;
        while (pending) {
            unsigned long long v[MAXW];
#pragma unroll
            for (int i = 0; i < MAXW; i++) {
                int t = threadIdx.x + i * blockDim.x;
                if (pending & (1u << i)) {
                    const unsigned long long* src = WAY == PUSH   ? in + t
                                                    : WAY == PULL ? cluster.map_shared_rank(in, (t % F) / cols) + t
                                                                  : g + (size_t)(p & 1) * n * F + t;
                    if (WAY == VIA_L2) asm volatile("ld.relaxed.gpu.b64 %0, [%1];" : "=l"(v[i]) : "l"(src) : "memory");
                    else asm volatile("ld.relaxed.cluster.b64 %0, [%1];" : "=l"(v[i]) : "l"(src) : "memory");
                }
            }
#pragma unroll
            for (int i = 0; i < MAXW; i++) {
                int t = threadIdx.x + i * blockDim.x;
                if ((pending & (1u << i)) && (unsigned)(v[i] >> 32) == tag) {
                    Ain[(t / F) * LD + t % F] = __uint_as_float((unsigned)v[i]);
                    pending &= ~(1u << i);
                }
            }
        }
        __syncthreads();
        for (int t = threadIdx.x; t < n * cols * KS; t += blockDim.x) {
            int o = t / KS, h = t % KS;
            int m = o / cols, c = o % cols;
            const float* a = Ain + m * LD + h * (F / KS);
            const float* wc = W + h * (F / KS) * cols + c;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma unroll 8
            for (int k = 0; k < F / KS; k += 4) {
                float4 x = *reinterpret_cast<const float4*>(a + k);
                s0 += x.x * wc[(k + 0) * cols];
                s1 += x.y * wc[(k + 1) * cols];
                s2 += x.z * wc[(k + 2) * cols];
                s3 += x.w * wc[(k + 3) * cols];
            }
            float y = (s0 + s1) + (s2 + s3);
            if (KS == 2) y += __shfl_xor_sync(__activemask(), y, 1);  // the two halves: adjacent lanes, both active
            y = y / (1.0f + __expf(-y)) + 0.5f;
            unsigned long long word = ((unsigned long long)(tag + 1) << 32) | __float_as_uint(y);
            if (WAY == PUSH) {
                for (int q = h; q < C; q += KS) {
                    unsigned long long* dst = cluster.map_shared_rank(nextBuf, q) + m * F + c0 + c;
                    asm volatile("st.relaxed.cluster.b64 [%0], %1;" ::"l"(dst), "l"(word) : "memory");
                }
            } else if (h == 0) {
                unsigned long long* dst = WAY == PULL ? nextBuf + m * F + c0 + c
                                                      : g + (size_t)((p + 1) & 1) * n * F + m * F + c0 + c;
                if (WAY == VIA_L2) asm volatile("st.relaxed.gpu.b64 [%0], %1;" ::"l"(dst), "l"(word) : "memory");
                else asm volatile("st.relaxed.cluster.b64 [%0], %1;" ::"l"(dst), "l"(word) : "memory");
            }
            if (p == P - 1 && h == 0) out[(size_t)m * F + c0 + c] = y;
        }
    }
    if (r == 0 && threadIdx.x == 0) clk[blockIdx.x / C] = clock64() - start;
    cluster.sync();  // no block leaves while others may still store into it
}

template <int KS, int WAY>
double run_flags(int n, int C, int P, const float* w, const float* x0, float* out, unsigned long long* g, long long* clk,
                 float* ms) {
    size_t smem = (size_t)(F / C * F + 2 * n * LD) * sizeof(float) + (size_t)2 * n * F * sizeof(unsigned long long);
    return time_cluster(chain_flags<KS, WAY>, C, THREADS, smem, P, clk, ms, n, C, P, w, x0, out, g, clk);
}

// The sum of the last layer's n rows, so that the forms that exchange data can be checked to agree.
double checksum(const float* out, int n) {
    std::vector<float> o(n * F);
    CHECK(cudaMemcpy(o.data(), out, n * F * sizeof(float), cudaMemcpyDeviceToHost));
    double sum = 0;
    for (float v : o) sum += v;
    return sum;
}

int main() {
    const int nMax = 64, P = 200;
    float *w, *x0, *g, *out;
    long long* clk;
    CHECK(cudaMalloc(&w, F * F * sizeof(float)));
    CHECK(cudaMalloc(&x0, nMax * F * sizeof(float)));
    CHECK(cudaMalloc(&g, 2 * nMax * F * sizeof(float)));
    CHECK(cudaMalloc(&out, nMax * F * sizeof(float)));
    CHECK(cudaMalloc(&clk, 64 * sizeof(long long)));
    unsigned long long* gw;  // the l2 flags' words, two phases of nMax rows
    CHECK(cudaMalloc(&gw, 2 * nMax * F * sizeof(unsigned long long)));
    std::vector<float> h(F * F);
    unsigned s = 12345;
    for (auto& v : h) v = (float)((s = s * 1664525u + 1013904223u) >> 8) / (1 << 24) * 2 - 1;
    CHECK(cudaMemcpy(w, h.data(), F * F * sizeof(float), cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(x0, h.data(), nMax * F * sizeof(float), cudaMemcpyHostToDevice));
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    int clockKHz = 0;
    CHECK(cudaDeviceGetAttribute(&clockKHz, cudaDevAttrClockRate, 0));
    std::printf("# %s, %d SMs, clock %d MHz (reported maximum); cycles per phase (block 0, median of 20 launches of %d "
                "phases; us/phase from events, launch included), F = %d, %d threads\n",
                prop.name, prop.multiProcessorCount, clockKHz / 1000, P, F, THREADS);
    std::printf("%-8s %-5s %4s %4s %12s %12s %12s\n", "mode", "sync", "C", "n", "cycles", "us/phase", "checksum");
    const char* names[] = {"barrier", "product", "l2", "dsmem"};
    const char* syncs[] = {"cg", "mbar"};
    for (int C : {8, 16}) {
        for (int n : {21, 64}) {
            for (int mode = 0; mode < 4; mode++) {
                for (int sync = 0; sync < 2; sync++) {
                    float ms = 0;
                    double cyc = 0;
                    switch (mode * 2 + sync) {
                        case 0: cyc = run<BARRIER, SYNC_CG>(n, C, P, w, x0, g, out, clk, &ms); break;
                        case 1: cyc = run<BARRIER, SYNC_MBAR>(n, C, P, w, x0, g, out, clk, &ms); break;
                        case 2: cyc = run<PRODUCT, SYNC_CG>(n, C, P, w, x0, g, out, clk, &ms); break;
                        case 3: cyc = run<PRODUCT, SYNC_MBAR>(n, C, P, w, x0, g, out, clk, &ms); break;
                        case 4: cyc = run<L2, SYNC_CG>(n, C, P, w, x0, g, out, clk, &ms); break;
                        case 5: cyc = run<L2, SYNC_MBAR>(n, C, P, w, x0, g, out, clk, &ms); break;
                        case 6: cyc = run<DSMEM, SYNC_CG>(n, C, P, w, x0, g, out, clk, &ms); break;
                        default: cyc = run<DSMEM, SYNC_MBAR>(n, C, P, w, x0, g, out, clk, &ms); break;
                    }
                    std::printf("%-8s %-5s %4d %4d %12.0f %12.3f %12.6f\n", names[mode], syncs[sync], C, n, cyc,
                                ms * 1000 / P, mode >= PRODUCT ? checksum(out, n) : 0.0);
                }
            }
        }
    }
    for (int C : {8, 16}) {
        for (int n : {21, 64}) {
            const char* ways[] = {"push1", "push2", "pull", "l2"};
            for (int way = 0; way < 4; way++) {
                float ms = 0;
                double cyc = way == 0   ? run_flags<1, PUSH>(n, C, P, w, x0, out, gw, clk, &ms)
                             : way == 1 ? run_flags<2, PUSH>(n, C, P, w, x0, out, gw, clk, &ms)
                             : way == 2 ? run_flags<1, PULL>(n, C, P, w, x0, out, gw, clk, &ms)
                                        : run_flags<1, VIA_L2>(n, C, P, w, x0, out, gw, clk, &ms);
                std::printf("%-8s %-5s %4d %4d %12.0f %12.3f %12.6f\n", "flags", ways[way], C, n, cyc,
                            ms * 1000 / P, checksum(out, n));
            }
        }
    }
    // the barrier alone with fewer threads to arrive (128 a block)
    for (int C : {8, 16}) {
        for (int sync = 0; sync < 2; sync++) {
            float ms = 0;
            double cyc = sync == 0 ? run<BARRIER, SYNC_CG>(21, C, P, w, x0, g, out, clk, &ms, 128)
                                   : run<BARRIER, SYNC_MBAR>(21, C, P, w, x0, g, out, clk, &ms, 128);
            std::printf("%-8s %-5s %4d  128 threads %12.0f %12.3f\n", "barrier", syncs[sync], C, cyc, ms * 1000 / P);
        }
    }
    streams(clk);
    pingpongs(clk);
    return 0;
}
