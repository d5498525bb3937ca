// The tiled GEMM main loop shared by every atom-wise dense layer: C[m][n] = Σ_k A(m,k)·B(k,n)
// over BM×BN output tiles, BK-deep K slices, each thread computing TM×TN outputs (per column
// group). A and B are read through small functors, so that a kernel can apply silu to A as it
// loads (the activation between two dense layers never touches memory) and read W transposed
// (forward, B(k,n) = W[n][k]) or not (backward, B(k,n) = W[k][n]); the epilogue functor receives
// every finished output and fuses bias, silu', residual adds or a PaiNN update. GROUPS sets of B
// columns share one A tile: the mixing update computes p, q and r of the same features in one
// block.
//
// gemm_tiles: 64×64 tiles of 4×4 per thread (256 threads); the three-group update uses them too
// (with three B tiles they do 12 multiply-adds per read). Shared memory is double-buffered: the
// next slice's loads are issued to registers before the current slice is multiplied and stored
// after it, one barrier per slice. For many rows and for mid sizes, gemm_pipe (below): 128×64
// tiles of 8×8 and 32×32 tiles of 4×4 per thread, fed by cp.async. Each output's sum runs over k
// in order, so every tiled driver gives the same bits.
#pragma once

#include <cooperative_groups.h>
#include <type_traits>

#include "common.cuh"

// Four reals from 16-byte-aligned global memory (two 16-byte loads for double).
PAINN_DEVICE void gload4(const float* p, float (&v)[4]) {
    float4 q = __ldg(reinterpret_cast<const float4*>(p));
    v[0] = q.x;
    v[1] = q.y;
    v[2] = q.z;
    v[3] = q.w;
}
PAINN_DEVICE void gload4(const double* p, double (&v)[4]) {
    double2 a = __ldg(reinterpret_cast<const double2*>(p));
    double2 b = __ldg(reinterpret_cast<const double2*>(p + 2));
    v[0] = a.x;
    v[1] = a.y;
    v[2] = b.x;
    v[3] = b.y;
}
PAINN_DEVICE void store4(float* p, const float (&v)[4]) { *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]); }
PAINN_DEVICE void store4(double* p, const double (&v)[4]) {
    reinterpret_cast<double2*>(p)[0] = make_double2(v[0], v[1]);
    reinterpret_cast<double2*>(p)[1] = make_double2(v[2], v[3]);
}

// Whether an epilogue has quad(m, n, out[4][GROUPS]) for four consecutive columns n..n+3 (used
// where quads() says its rows allow 16-byte accesses).
template <typename E, typename = void> struct QuadEpilogue : std::false_type {};
template <typename E>
struct QuadEpilogue<E, std::void_t<decltype(&E::quads)>> : std::true_type {};

// Row m's outputs of columns n..n+3 to the epilogue: four at once where it can take them, else
// one by one up to N. Every driver ends with it.
template <typename T, int GROUPS, typename Epi>
PAINN_DEVICE void epilogue4(const Epi& epi, int m, int n, int N, const T (&out)[4][GROUPS]) {
    if constexpr (QuadEpilogue<Epi>::value) {
        if (n + 3 < N && epi.quads()) {
            epi.quad(m, n, out);
            return;
        }
    }
#pragma unroll
    for (int c = 0; c < 4; c++)
        if (n + c < N) epi(m, n + c, out[c]);
}

// The tiled drivers' products on the float64 tensor cores (mma.sync .f64), for float32 as well
// where GEMM_MMA_F32: each operand widened to double, so that every product is exact and every
// sum a float64 one, and each output rounded once to T. A multiply-add of the FMA pipe costs an
// issue slot per lane; one mma instruction does 256 to 2,048, so the tiles stop waiting on issue
// (the FMA-pipe drivers spent half their slots on shared-memory reads and addresses). Shapes:
// m8n8k4 (Ampere), on Hopper m16n8k8 for float64 and m16n8k16 for float32 (the deepest that
// every driver's slice holds: float64's 128×64 tiles take 8 k per slice). Every tiled driver of
// a precision sums each output by the same instructions in the same order (k ascending from 0),
// so they still agree bit for bit, whatever the tile. GEMM_MMA=0 builds the FMA-pipe loops
// (same tiles and staging) for both precisions, GEMM_MMA_F32=0 for float32, GEMM_MMA_SM90=0 the
// Ampere shape on Hopper too: for comparison.
#ifndef GEMM_MMA
#define GEMM_MMA 1
#endif
#ifndef GEMM_MMA_F32
#define GEMM_MMA_F32 1
#endif
#ifndef GEMM_MMA_SM90
#define GEMM_MMA_SM90 1
#endif
template <typename T> constexpr bool kGemmMma = GEMM_MMA && (sizeof(T) == 8 || GEMM_MMA_F32);

// An mma shape: RM rows (8 or 16) × 8 columns × KI k per instruction.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && GEMM_MMA_SM90
template <typename T> constexpr int kMmaRows = 16;
template <typename T> constexpr int kMmaDepth = sizeof(T) == 4 ? 16 : 8;
#else
template <typename T> constexpr int kMmaRows = 8;
template <typename T> constexpr int kMmaDepth = 4;
#endif

// C += A·B on an RM×8 tile, KI deep, g = lane/4, t = lane%4: lane l holds A(g + 8(i % (RM/8)),
// t + 4⌊i/(RM/8)⌋) as a[i], B(t + 4j, g) as b[j], C(g + 8⌊c/2⌋, 2t + c % 2) as c[c].
template <int RM, int KI> struct Mma;
template <> struct Mma<8, 4> {
    static PAINN_DEVICE void run(double (&c)[2], const double (&a)[1], const double (&b)[1]) {
        asm volatile("mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 {%0, %1}, {%2}, {%3}, {%0, %1};\n"
                     : "+d"(c[0]), "+d"(c[1])
                     : "d"(a[0]), "d"(b[0]));
    }
};
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
template <> struct Mma<16, 8> {
    static PAINN_DEVICE void run(double (&c)[4], const double (&a)[4], const double (&b)[2]) {
        asm volatile("mma.sync.aligned.m16n8k8.row.col.f64.f64.f64.f64 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                     "{%0, %1, %2, %3};\n"
                     : "+d"(c[0]), "+d"(c[1]), "+d"(c[2]), "+d"(c[3])
                     : "d"(a[0]), "d"(a[1]), "d"(a[2]), "d"(a[3]), "d"(b[0]), "d"(b[1]));
    }
};
template <> struct Mma<16, 16> {
    static PAINN_DEVICE void run(double (&c)[4], const double (&a)[8], const double (&b)[4]) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f64.f64.f64.f64 {%0, %1, %2, %3}, "
                     "{%4, %5, %6, %7, %8, %9, %10, %11}, {%12, %13, %14, %15}, {%0, %1, %2, %3};\n"
                     : "+d"(c[0]), "+d"(c[1]), "+d"(c[2]), "+d"(c[3])
                     : "d"(a[0]), "d"(a[1]), "d"(a[2]), "d"(a[3]), "d"(a[4]), "d"(a[5]), "d"(a[6]), "d"(a[7]),
                       "d"(b[0]), "d"(b[1]), "d"(b[2]), "d"(b[3]));
    }
};
#endif

// A block's BM×BN outputs (per group) on WARPS warps, each owning WM×WN of them as RM×8 mma tiles.
template <typename T, int BM, int BN, int WARPS, int GROUPS>
struct MmaTiles {
    static constexpr int RM = kMmaRows<T>, KI = kMmaDepth<T>;
    static constexpr int AR = RM * KI / 32, BR = KI / 4, CR = RM / 4;  // registers per lane
    static constexpr int WC = WARPS >= 4 && BN >= 32 ? 2 : 1;           // warps across the columns
    static constexpr int WR = WARPS / WC;
    static constexpr int WM = BM / WR, WN = BN / WC;
    static constexpr int MT = WM / RM, NTL = WN / 8;
    static_assert(WR * WC == WARPS && WM % RM == 0 && WN % 16 == 0, "whole mma tiles, an even count across");
    double acc[GROUPS][MT][NTL][CR];
    int wm0, wn0, g, t;

    PAINN_DEVICE MmaTiles() {
        int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
        wm0 = (warp / WC) * WM;
        wn0 = (warp % WC) * WN;
        g = lane >> 2;
        t = lane & 3;
#pragma unroll
        for (int q = 0; q < GROUPS; q++)
#pragma unroll
            for (int i = 0; i < MT; i++)
#pragma unroll
                for (int j = 0; j < NTL; j++)
#pragma unroll
                    for (int c = 0; c < CR; c++) acc[q][i][j][c] = 0.0;
    }

    // k = kk..kk + KI − 1 of the slice in shared memory, read through aAt(m, k) and bAt(group, k,
    // n) (indices within the block's tile and slice)
    template <typename AAt, typename BAt>
    PAINN_DEVICE void step(int kk, const AAt& aAt, const BAt& bAt) {
        // B fragments first, then A one row tile at a time: fewer registers live than all of A
        double bv[GROUPS][NTL][BR];
#pragma unroll
        for (int q = 0; q < GROUPS; q++)
#pragma unroll
            for (int j = 0; j < NTL; j++)
#pragma unroll
                for (int e = 0; e < BR; e++) bv[q][j][e] = (double)bAt(q, kk + t + 4 * e, wn0 + 8 * j + g);
#pragma unroll
        for (int i = 0; i < MT; i++) {
            double av[AR];
#pragma unroll
            for (int e = 0; e < AR; e++)
                av[e] = (double)aAt(wm0 + RM * i + g + 8 * (e % (RM / 8)), kk + t + 4 * (e / (RM / 8)));
#pragma unroll
            for (int q = 0; q < GROUPS; q++)
#pragma unroll
                for (int j = 0; j < NTL; j++) Mma<RM, KI>::run(acc[q][i][j], av, bv[q][j]);
        }
    }

    // Every output to the epilogue as quads of consecutive columns: of two neighbouring 8-column
    // tiles, lane t (even) takes columns 2t..2t + 3 of the first and lane t + 1 those of the
    // second, each trading its other pair with the other.
    template <typename Epi>
    PAINN_DEVICE void finish(int m0, int n0, int M, int N, const Epi& epi) const {
        bool odd = t & 1;
#pragma unroll
        for (int i = 0; i < MT; i++)
#pragma unroll
            for (int h = 0; h < CR / 2; h++) {
                int m = m0 + wm0 + RM * i + g + 8 * h;
#pragma unroll
                for (int j = 0; j < NTL; j += 2) {
                    T out[4][GROUPS];
#pragma unroll
                    for (int q = 0; q < GROUPS; q++) {
                        // selected by value: a reference chosen at run time would put acc in local memory
                        double a0 = acc[q][i][j][2 * h], a1 = acc[q][i][j][2 * h + 1];
                        double b0 = acc[q][i][j + 1][2 * h], b1 = acc[q][i][j + 1][2 * h + 1];
                        double got0 = __shfl_xor_sync(0xffffffffu, odd ? a0 : b0, 1);
                        double got1 = __shfl_xor_sync(0xffffffffu, odd ? a1 : b1, 1);
                        out[0][q] = (T)(odd ? got0 : a0);
                        out[1][q] = (T)(odd ? got1 : a1);
                        out[2][q] = (T)(odd ? b0 : got0);
                        out[3][q] = (T)(odd ? b1 : got1);
                    }
                    int n = n0 + wn0 + 8 * (j + (odd ? 1 : 0)) + 4 * (t >> 1);
                    if (m < M) epilogue4(epi, m, n, N, out);
                }
            }
    }
};

// The two tile shapes (dense.cu's plain and _big entry points; the mixing update uses the first).
#define GEMM_TILE 64
#define GEMM_THREADS 256
#ifndef GEMM_BIG_M
#define GEMM_BIG_M 128
#define GEMM_BIG_N 64
#define GEMM_BIG_THREADS 128
#define GEMM_BIG_TM 8
#define GEMM_BIG_TN 8
#define GEMM_BIG_K_BYTES 64
#define GEMM_BIG_STAGES 3
#endif

// B_K_CONTIG: B(k, n) is contiguous in k (W read transposed); otherwise contiguous in n.
// A must be contiguous in k; its activation is applied as the slice is stored, not as it is
// loaded, so that the loads stay in flight while the previous slice is multiplied. `vecA` /
// `vecB`: the contiguous dimension's length is a multiple of 4 (so that four-real pieces are
// aligned); otherwise, and at the edges, loads go one by one.
template <typename T, int GROUPS, bool B_K_CONTIG, int BM, int BN, int TM, int TN, typename ALoad, typename BLoad,
          typename Epi>
PAINN_DEVICE void gemm_tiles(int M, int N, int Kd, const ALoad& a, const BLoad& b, const Epi& epi) {
    // double: the same shared memory as float. The one-group 64×64 tiles take slices twice as
    // deep: at a thousand rows they are few blocks, each waiting on its slices' loads, and half as
    // many slices halve those waits (their shared memory stays under 48 KB; the sums run in the
    // same k order, so the bits do not change).
    constexpr int BK = (sizeof(T) == 4 ? 16 : 8) * (GROUPS == 1 && BM == GEMM_TILE ? 2 : 1);
    constexpr int TX = BN / TN, TY = BM / TM, NT = TX * TY;
    // (the FMA-pipe loops' layout; the mma tiles have their own)
    [[maybe_unused]] constexpr int RQ = TM / 4, CQ = TN / 4;  // quads of rows / columns per thread
    constexpr int AQT = BM * BK / 4, BQT = BN * BK / 4;  // quads of a slice
    constexpr int AQ = (AQT + NT - 1) / NT;              // A quads per thread per slice (along k)
    constexpr int BQ = (BQT + NT - 1) / NT;              // B quads per thread per slice and group
    // rows padded by 16 bytes: the transposed stores of the BK/4 threads sharing a row then
    // meet at most two to a bank
    __shared__ __align__(16) T As[2][BK][BM + 4];
    __shared__ __align__(16) T Bs[2][GROUPS][BK][BN + 4];
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    int tid = threadIdx.x;
    [[maybe_unused]] int tn = tid % TX, tm = tid / TX;
    bool vecA = Kd % 4 == 0;
    bool vecB = B_K_CONTIG ? Kd % 4 == 0 : N % 4 == 0;

    T ra[AQ][4], rb[GROUPS][BQ][4];
    // A quad l of a slice: k quad (idx % (BK/4)) of row (idx / (BK/4)), so that the threads of a
    // row read its BK reals as one contiguous piece.
    auto loadSlice = [&](int k0) {
#pragma unroll
        for (int l = 0; l < AQ; l++) {
            int idx = tid + l * NT;
            if (AQT % NT != 0 && idx >= AQT) break;
            int mm = idx / (BK / 4), kq = idx % (BK / 4);
            int m = m0 + mm, k = k0 + kq * 4;
            if (vecA && m < M && k + 3 < Kd) {
                a.load4(m, k, ra[l]);
            } else {
#pragma unroll
                for (int c = 0; c < 4; c++) ra[l][c] = (m < M && k + c < Kd) ? a.load(m, k + c) : T(0);
            }
        }
#pragma unroll
        for (int g = 0; g < GROUPS; g++) {
#pragma unroll
            for (int l = 0; l < BQ; l++) {
                int idx = tid + l * NT;
                if (BQT % NT != 0 && idx >= BQT) break;
                if constexpr (B_K_CONTIG) {
                    int nn = idx / (BK / 4), kq = idx % (BK / 4);
                    int n = n0 + nn, k = k0 + kq * 4;
                    if (vecB && n < N && k + 3 < Kd) {
                        b.load4k(g, k, n, rb[g][l]);
                    } else {
#pragma unroll
                        for (int c = 0; c < 4; c++) rb[g][l][c] = (n < N && k + c < Kd) ? b(g, k + c, n) : T(0);
                    }
                } else {
                    int nq = idx % (BN / 4), kk = idx / (BN / 4);
                    int n = n0 + nq * 4, k = k0 + kk;
                    if (vecB && n + 3 < N && k < Kd) {
                        b.load4n(g, k, n, rb[g][l]);
                    } else {
#pragma unroll
                        for (int c = 0; c < 4; c++) rb[g][l][c] = (n + c < N && k < Kd) ? b(g, k, n + c) : T(0);
                    }
                }
            }
        }
    };
    auto storeSlice = [&](int buf) {
#pragma unroll
        for (int l = 0; l < AQ; l++) {
            int idx = tid + l * NT;
            if (AQT % NT != 0 && idx >= AQT) break;
            int mm = idx / (BK / 4), kq = idx % (BK / 4);
#pragma unroll
            for (int c = 0; c < 4; c++) As[buf][kq * 4 + c][mm] = a.act(ra[l][c]);
        }
#pragma unroll
        for (int g = 0; g < GROUPS; g++) {
#pragma unroll
            for (int l = 0; l < BQ; l++) {
                int idx = tid + l * NT;
                if (BQT % NT != 0 && idx >= BQT) break;
                if constexpr (B_K_CONTIG) {
                    int nn = idx / (BK / 4), kq = idx % (BK / 4);
#pragma unroll
                    for (int c = 0; c < 4; c++) Bs[buf][g][kq * 4 + c][nn] = rb[g][l][c];
                } else {
                    int nq = idx % (BN / 4), kk = idx / (BN / 4);
                    store4(&Bs[buf][g][kk][nq * 4], rb[g][l]);
                }
            }
        }
    };

    // the mma tiles or the FMA pipe's accumulators (the other is never used, and compiled away)
    constexpr bool MMA = kGemmMma<T>;
    using Tiles = MmaTiles<T, BM, BN, NT / 32, GROUPS>;
    static_assert(!MMA || BK % Tiles::KI == 0, "whole mma steps per slice");
    Tiles tiles;
    T acc[GROUPS][TM][TN];
    if constexpr (!MMA) {
#pragma unroll
        for (int g = 0; g < GROUPS; g++)
#pragma unroll
            for (int r = 0; r < TM; r++)
#pragma unroll
                for (int c = 0; c < TN; c++) acc[g][r][c] = T(0);
    }

    loadSlice(0);
    storeSlice(0);
    __syncthreads();
    int buf = 0;
    for (int k0 = 0; k0 < Kd; k0 += BK) {
        bool more = k0 + BK < Kd;
        if (more) loadSlice(k0 + BK);
        if constexpr (MMA) {
#pragma unroll
            for (int kk = 0; kk < BK; kk += Tiles::KI)
                tiles.step(
                    kk, [&](int m, int k) { return As[buf][k][m]; },
                    [&](int g, int k, int n) { return Bs[buf][g][k][n]; });
        } else {
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            // a thread's rows are RQ quads BM/RQ apart and its columns CQ quads BN/CQ apart, so
            // that the eight lanes of one 16-byte shared-memory phase read consecutive quads
            T ar[TM];
#pragma unroll
            for (int i = 0; i < RQ; i++) {
                T q[4];
                load4(&As[buf][kk][i * (BM / RQ) + tm * 4], q);
#pragma unroll
                for (int r = 0; r < 4; r++) ar[i * 4 + r] = q[r];
            }
#pragma unroll
            for (int g = 0; g < GROUPS; g++) {
                T br[TN];
#pragma unroll
                for (int j = 0; j < CQ; j++) {
                    T q[4];
                    load4(&Bs[buf][g][kk][j * (BN / CQ) + tn * 4], q);
#pragma unroll
                    for (int c = 0; c < 4; c++) br[j * 4 + c] = q[c];
                }
#pragma unroll
                for (int r = 0; r < TM; r++)
#pragma unroll
                    for (int c = 0; c < TN; c++) acc[g][r][c] += ar[r] * br[c];
            }
        }
        }
        if (more) storeSlice(buf ^ 1);
        __syncthreads();
        buf ^= 1;
    }
    if constexpr (MMA) {
        tiles.finish(m0, n0, M, N, epi);
    } else {
    // A thread's outputs come as quads of consecutive columns: an epilogue with quad() gets all
    // four at once, so that it can issue the loads of their operands together, 16 bytes at a time,
    // instead of waiting on one output's loads before the next output's (they cannot be moved
    // past the previous output's stores, which might alias them).
#pragma unroll
    for (int r = 0; r < TM; r++) {
        int m = m0 + (r / 4) * (BM / RQ) + tm * 4 + r % 4;
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < CQ; j++) {
            int n = n0 + j * (BN / CQ) + tn * 4;
            T out[4][GROUPS];
#pragma unroll
            for (int c = 0; c < 4; c++)
#pragma unroll
                for (int g = 0; g < GROUPS; g++) out[c][g] = acc[g][r][j * 4 + c];
            epilogue4(epi, m, n, N, out);
        }
    }
    }
}

template <typename T, int GROUPS, bool B_K_CONTIG, typename ALoad, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_small(int M, int N, int Kd, const ALoad& a, const BLoad& b, const Epi& epi) {
    gemm_tiles<T, GROUPS, B_K_CONTIG, GEMM_TILE, GEMM_TILE, 4, 4>(M, N, Kd, a, b, epi);
}

// The same product for few rows (M ≤ 64, small molecules): a 64×64 tile would leave most of its
// rows empty and the whole GEMM to a handful of blocks. Here a block owns a few output columns
// (and their GROUPS companions) of up to 32 rows, lane m row m, and warp w the k of slice w (32
// k each; slices w + KW, w + 2·KW, ... as well where K_d has more than KW of them). A warp sums
// its slice in k order with no step across lanes: each lane multiplies its row's inputs by
// weights that every lane reads at once (shared-memory broadcasts), and the warps' partial sums
// are added in warp order at the end. So each warp issues a few hundred instructions (staging,
// a multiply-add per column and k, one store of its sums) rather than the thousand of a warp
// per column with lanes over k and a transpose-sum (gemm_columns above, which float64 keeps).
// Four columns per block, so that a layer of N columns spreads over N/4 blocks. Grid:
// (ceil(N/GEMM_SLICES_N), ceil(M/32)), 32·slices_warps(K_d, GROUPS) threads. Each output's sum
// depends on K_d alone, not on M or on the other rows: a structure gets the same bits alone and
// in a batch that takes this driver.
#define GEMM_SLICES_N 4
#define GEMM_SLICES_MAX_WARPS 12
constexpr int kSlicesQuads = GEMM_SLICES_N / 4;
PAINN_DEVICE int slices_warps(int Kd, int groups) {
    return min(GEMM_SLICES_MAX_WARPS / groups, max(1, (Kd + 31) / 32));
}
// A slice passes through shared memory in pieces of 64 bytes of k (16 floats, 8 doubles): a
// lane's inputs of the whole slice are loaded into registers at once (one wait on memory), then
// stored piece by piece, so that twelve warps' pieces fit in 30 KB. Rows are padded by 16
// bytes: the eight lanes of a 16-byte access then reach eight rows in distinct banks.
template <typename T> constexpr int kSlicesSub = 64 / (int)sizeof(T);
template <typename T> constexpr int kSlicesLd = kSlicesSub<T> + 16 / (int)sizeof(T);
// a weight row of a piece: the block's columns, padded to an odd count of 16-byte quads so that
// the lanes storing consecutive rows meet in no bank
template <int GROUPS> constexpr int kSlicesWLd =
    4 * kSlicesQuads * GROUPS + ((kSlicesQuads * GROUPS) % 2 == 0 ? 4 : 0);
template <typename T, int GROUPS>
struct SlicesShared {
    static constexpr int KW = GEMM_SLICES_MAX_WARPS / GROUPS;
    union {
        T a[KW][32][kSlicesLd<T>];                  // the pieces, while the warps multiply
        T part[KW][4 * kSlicesQuads * GROUPS][32];  // then their partial sums
    };
    T w[KW][kSlicesSub<T>][kSlicesWLd<GROUPS>];
};

// KD > 0: compiled for that K_d (the model's widths: no k tested against a K_d known only at
// run time). The sums run in the same order either way, so both give the same bits.
// CL > 1 (Hopper, KD = 256 or 384): the KW warps of a column group spread over a cluster of CL
// blocks of KW/CL warps each, on as many multiprocessors (one multiprocessor ran twelve warps'
// loads and shared-memory reads in 2.5 times the time of four); block 0 adds the partial sums of
// all of them in the same warp order, through distributed shared memory: the same bits.
template <typename T, int GROUPS, bool B_K_CONTIG, int KD, int CL, typename ALoad, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_slices_k(SlicesShared<T, GROUPS>& sh, int M, int N, int KdArg, const ALoad& a, const BLoad& b,
                              const Epi& epi) {
    static_assert(CL == 1 || KD > 0, "clusters for a K_d known at compile time");
    constexpr int SUB = kSlicesSub<T>;
    constexpr int QPS = SUB / 4;      // quads of a row in a piece
    constexpr int RPI = 32 / QPS;     // rows one load instruction of the warp covers
    constexpr int PIECES = 32 / SUB;  // pieces of a slice
    constexpr int NQ = kSlicesQuads;  // quads of columns per group
    constexpr int NC = 4 * NQ;
    const int Kd = KD > 0 ? KD : KdArg;
    const int kw = slices_warps(Kd, GROUPS);  // of the cluster
    const int kwb = kw / CL;                   // of this block
    const int slices = (Kd + 31) / 32;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int rank = CL > 1 ? (int)(blockIdx.x % CL) : 0;
    const int n0 = (blockIdx.x / CL) * NC, m0 = blockIdx.y * 32;
    const int mc = min(32, M - m0);
    const bool vecA = Kd % 4 == 0;
    T acc[GROUPS][NC];
#pragma unroll
    for (int g = 0; g < GROUPS; g++)
#pragma unroll
        for (int j = 0; j < NC; j++) acc[g][j] = T(0);

    for (int sl = rank * kwb + warp; sl < slices; sl += kw) {
        const int k0 = sl * 32;
        // lane l: rows RPI·i + l % RPI, quad QPS·p + l / RPI of piece p (k0 + 4·that); every load
        // of the slice issued before any is used
        T v[PIECES][QPS][4];
        const int rl = lane % RPI, ql = lane / RPI;
#pragma unroll
        for (int p = 0; p < PIECES; p++)
#pragma unroll
            for (int i = 0; i < QPS; i++) {
                int m = RPI * i + rl, k = k0 + SUB * p + 4 * ql;
                if (vecA && m < mc && k + 3 < Kd) {
                    a.load4(m0 + m, k, v[p][i]);
                } else {
#pragma unroll
                    for (int c = 0; c < 4; c++) v[p][i][c] = (m < mc && k + c < Kd) ? a.load(m0 + m, k + c) : T(0);
                }
            }
        // lane l: the weights of k = k0 + l for the block's columns, a quad at a time
        T wv[GROUPS][NQ][4];
        {
            const int k = k0 + lane;
#pragma unroll
            for (int g = 0; g < GROUPS; g++)
#pragma unroll
                for (int h = 0; h < NQ; h++) {
                    const int n = n0 + 4 * h;
                    if constexpr (!B_K_CONTIG) {
                        if (N % 4 == 0 && n + 3 < N && k < Kd) {
                            b.load4n(g, k, n, wv[g][h]);
                            continue;
                        }
                    }
#pragma unroll
                    for (int j = 0; j < 4; j++) wv[g][h][j] = (k < Kd && n + j < N) ? b(g, k, n + j) : T(0);
                }
        }
        T(*as)[kSlicesLd<T>] = sh.a[warp];
        T(*ws)[kSlicesWLd<GROUPS>] = sh.w[warp];
#pragma unroll
        for (int p = 0; p < PIECES; p++) {
            if (p > 0) __syncwarp();
#pragma unroll
            for (int i = 0; i < QPS; i++) {
                T q[4];
#pragma unroll
                for (int c = 0; c < 4; c++) q[c] = a.act(v[p][i][c]);
                store4(&as[RPI * i + rl][4 * ql], q);
            }
            if (lane / SUB == p) {
#pragma unroll
                for (int g = 0; g < GROUPS; g++)
#pragma unroll
                    for (int h = 0; h < NQ; h++) store4(&ws[lane % SUB][NC * g + 4 * h], wv[g][h]);
            }
            __syncwarp();
#pragma unroll
            for (int qd = 0; qd < QPS; qd++) {
                T x[4];
                load4(&as[lane][4 * qd], x);
#pragma unroll
                for (int c = 0; c < 4; c++)
#pragma unroll
                    for (int g = 0; g < GROUPS; g++)
#pragma unroll
                        for (int h = 0; h < NQ; h++) {
                            T w[4];
                            load4(&ws[4 * qd + c][NC * g + 4 * h], w);
#pragma unroll
                            for (int j = 0; j < 4; j++) acc[g][4 * h + j] += x[c] * w[j];
                        }
            }
        }
        __syncwarp();
    }
    __syncthreads();  // the partial sums take the pieces' place
    if (warp < kwb) {
#pragma unroll
        for (int g = 0; g < GROUPS; g++)
#pragma unroll
            for (int j = 0; j < NC; j++) sh.part[warp][NC * g + j][lane] = acc[g][j];
    }
    constexpr int PART = 4 * kSlicesQuads * GROUPS * 32;  // reals of one warp's partial sums
    T out[NQ][4][GROUPS];
    // the sums of the cluster's warps 0..kw−1 in order (warp w of block w / kwb)
    auto total = [&](const T* const* from) {
#pragma unroll
        for (int h = 0; h < NQ; h++)
#pragma unroll
            for (int j = 0; j < 4; j++)
#pragma unroll
                for (int g = 0; g < GROUPS; g++) {
                    int at = (NC * g + 4 * h + j) * 32 + lane;
                    T s = from[0][at];
                    for (int w = 1; w < kw; w++) s += from[w / kwb][(w % kwb) * PART + at];
                    out[h][j][g] = s;
                }
    };
    if constexpr (CL == 1) {
        __syncthreads();
        if (warp != 0 || lane >= mc) return;
        const T* own = &sh.part[0][0][0];
        total(&own);
    } else {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
        namespace cg = cooperative_groups;
        cg::cluster_group cluster = cg::this_cluster();
        cluster.sync();
        if (rank == 0 && warp == 0 && lane < mc) {
            const T* from[CL];
#pragma unroll
            for (int r = 0; r < CL; r++) from[r] = cluster.map_shared_rank(&sh.part[0][0][0], r);
            total(from);
        }
        cluster.sync();  // every block's partial sums stay in place until block 0 has read them
        if (rank != 0 || warp != 0 || lane >= mc) return;
#else
        __trap();
#endif
    }
#pragma unroll
    for (int h = 0; h < NQ; h++) epilogue4(epi, m0 + lane, n0 + 4 * h, N, out[h]);
}

// The model's widths at F = 128 (and 64: the readout) compiled in; any other K_d at run time.
template <typename T, int GROUPS, bool B_K_CONTIG, typename ALoad, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_slices(int M, int N, int Kd, const ALoad& a, const BLoad& b, const Epi& epi) {
    static_assert(sizeof(SlicesShared<T, GROUPS>) <= 48 * 1024, "static shared memory");
    __shared__ __align__(16) SlicesShared<T, GROUPS> sh;
    switch (Kd) {
        case 64: gemm_slices_k<T, GROUPS, B_K_CONTIG, 64, 1>(sh, M, N, Kd, a, b, epi); break;
        case 128: gemm_slices_k<T, GROUPS, B_K_CONTIG, 128, 1>(sh, M, N, Kd, a, b, epi); break;
        case 256: gemm_slices_k<T, GROUPS, B_K_CONTIG, 256, 1>(sh, M, N, Kd, a, b, epi); break;
        case 384: gemm_slices_k<T, GROUPS, B_K_CONTIG, 384, 1>(sh, M, N, Kd, a, b, epi); break;
        default: gemm_slices_k<T, GROUPS, B_K_CONTIG, 0, 1>(sh, M, N, Kd, a, b, epi);
    }
}

// The same over a cluster of CL blocks (Hopper) for K_d = 128·CL alone: blocks of four warps.
// Grid: (ceil(N/GEMM_SLICES_N)·CL, ceil(M/32)), 128 threads, clusters of (CL, 1, 1).
template <typename T, int GROUPS, bool B_K_CONTIG, int CL, typename ALoad, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_slices_cluster(int M, int N, int Kd, const ALoad& a, const BLoad& b, const Epi& epi) {
    static_assert(GROUPS == 1, "dense.cu's layers alone take the clustered kernels");
    __shared__ __align__(16) SlicesShared<T, GROUPS> sh;
    if (Kd != 128 * CL) __trap();  // GemmKernel launches them for that K_d only
    gemm_slices_k<T, GROUPS, B_K_CONTIG, 128 * CL, CL>(sh, M, N, Kd, a, b, epi);
}

// The per-column product of float64 (gemm_rows takes it for double): each warp owns one output
// column n (and its GROUPS companions) for up to 32 rows; lanes split k, and a transpose-sum
// leaves row m's total in lane m. Grid: (ceil(N/8), ceil(M/32)), 256 threads (GEMM_COLUMNS_WARPS
// warps). In float64 it beat gemm_slices below (21 atoms 245 against 259 µs with 4 columns per
// block and 286 µs with 8; 8 replicas of 21 atoms in MD 370 against 454 and 401 µs per step):
// its 32 independent sums per lane hide the double multiply-adds' latency, which gemm_slices'
// four or eight do not.
#define GEMM_COLUMNS_WARPS 8
// KD > 0: compiled for that K_d (the model's widths: no predicated k steps past it, a chunk loop
// unrolled), 0: any. The sums run in the same order either way, so both give the same bits.
// A is staged whole when it fits (32 rows × up to COLS_KC k, activation applied once and
// shared by the 8 warps), so that a small product waits on memory once, not once per slice;
// rows padded to ROWS_LD so that lanes reading different k hit different banks, 16-byte aligned
template <typename T> constexpr int kColsLd = sizeof(T) == 4 ? 36 : 34;
template <typename T> constexpr int kColsKc = sizeof(T) == 4 ? 320 : 160;  // under 48 KB of shared memory
template <typename T, int GROUPS, int KD, typename ALoad, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_columns_k(T (*As)[kColsLd<T>], int M, int N, int KdArg, const ALoad& a, const BLoad& b,
                              const Epi& epi) {
    constexpr int COLS_KC = kColsKc<T>;
    const int Kd = KD > 0 ? KD : KdArg;
    int lane = threadIdx.x & 31;
    int n = blockIdx.x * 8 + (threadIdx.x >> 5);
    bool active = n < N;
    int m0 = blockIdx.y * 32;
    int mc = min(32, M - m0);
    T acc[GROUPS][32];
#pragma unroll
    for (int g = 0; g < GROUPS; g++)
#pragma unroll
        for (int m = 0; m < 32; m++) acc[g][m] = T(0);
    // k values of one chunk per lane: the lane's weights are loaded into registers before the
    // inputs are staged, all at once, instead of one dependent load per step of the k loop
    constexpr int KPL = ((KD > 0 && KD < COLS_KC ? KD : COLS_KC) + 31) / 32;
    // one k of the lane: its staged inputs (row `staged` of As, every row m of the block) times
    // its weights bv(g), into the sums
    auto multiply = [&](const T* staged, auto bv) {
        T av[32];
#pragma unroll
        for (int m = 0; m < 32; m += 4) {
            T q[4];
            load4(staged + m, q);
            av[m] = q[0];
            av[m + 1] = q[1];
            av[m + 2] = q[2];
            av[m + 3] = q[3];
        }
#pragma unroll
        for (int m = 0; m < 32; m++)
#pragma unroll
            for (int g = 0; g < GROUPS; g++) acc[g][m] += av[m] * bv(g);
    };
    auto chunk = [&](int k0) {
        int kc = min(COLS_KC, Kd - k0);
        T bw[GROUPS][KPL];
#pragma unroll
        for (int q = 0; q < KPL; q++) {
            int kk = lane + 32 * q;
#pragma unroll
            for (int g = 0; g < GROUPS; g++) bw[g][q] = active && kk < kc ? b(g, k0 + kk, n) : T(0);
        }
        __syncthreads();
        // As[k][m]: lane-indexed reads below walk k, so k is the row. Warp w stages rows w, w + 8,
        // w + 16 and w + 24, lane l their k = l, l + 32, ...: every load of the chunk is issued before
        // any value is activated and stored, so that their latencies overlap, and the addresses step
        // by a constant, so that staging costs a few instructions per value (a flat index split into
        // (m, k) by a division costs about 50: more than the products themselves).
        constexpr int RPW = 32 / GEMM_COLUMNS_WARPS;
        int warp = threadIdx.x >> 5;
        T v[RPW][KPL];
#pragma unroll
        for (int r = 0; r < RPW; r++) {
            int m = warp + GEMM_COLUMNS_WARPS * r;
#pragma unroll
            for (int q = 0; q < KPL; q++) {
                int kk = lane + 32 * q;
                if (32 * q < kc) v[r][q] = (m < mc && kk < kc) ? a.load(m0 + m, k0 + kk) : T(0);
            }
        }
#pragma unroll
        for (int r = 0; r < RPW; r++) {
            int m = warp + GEMM_COLUMNS_WARPS * r;
#pragma unroll
            for (int q = 0; q < KPL; q++) {
                int kk = lane + 32 * q;
                if (32 * q < kc && kk < kc) As[kk][m] = m < mc ? a.act(v[r][q]) : T(0);
            }
        }
        __syncthreads();
        if (!active) return;
#pragma unroll
        for (int q = 0; q < KPL; q++) {
            int kk = lane + 32 * q;
            if (kk >= kc) break;
            T bv[GROUPS];
#pragma unroll
            for (int g = 0; g < GROUPS; g++) bv[g] = bw[g][q];
            multiply(As[kk], [&](int g) { return bv[g]; });
        }
    };
    if constexpr (KD > COLS_KC) {
        // K_d in several chunks (384 in float32; 256 and 384 in float64): every chunk's weights
        // and inputs are loaded at the start, so that the product waits on memory once; each
        // chunk then only passes through shared memory. Same k per lane, same order: same bits.
        constexpr int KT = (KD + 31) / 32, RPW = 32 / GEMM_COLUMNS_WARPS, QC = COLS_KC / 32;
        static_assert(COLS_KC % 32 == 0, "chunks of whole k steps");
        int warp = threadIdx.x >> 5;
        T bw[GROUPS][KT], v[RPW][KT];
#pragma unroll
        for (int q = 0; q < KT; q++) {
            int kk = lane + 32 * q;
#pragma unroll
            for (int g = 0; g < GROUPS; g++) bw[g][q] = active && kk < KD ? b(g, kk, n) : T(0);
#pragma unroll
            for (int r = 0; r < RPW; r++) {
                int m = warp + GEMM_COLUMNS_WARPS * r;
                v[r][q] = (m < mc && kk < KD) ? a.load(m0 + m, kk) : T(0);
            }
        }
#pragma unroll
        for (int c = 0; c * QC < KT; c++) {
            if (c > 0) __syncthreads();
#pragma unroll
            for (int q = c * QC; q < KT && q < (c + 1) * QC; q++) {
                int kk = lane + 32 * q;
#pragma unroll
                for (int r = 0; r < RPW; r++) {
                    int m = warp + GEMM_COLUMNS_WARPS * r;
                    if (kk < KD) As[kk - c * COLS_KC][m] = m < mc ? a.act(v[r][q]) : T(0);
                }
            }
            __syncthreads();
            if (active) {
#pragma unroll
                for (int q = c * QC; q < KT && q < (c + 1) * QC; q++) {
                    int kk = lane + 32 * q;
                    if (kk >= KD) break;
                    multiply(As[kk - c * COLS_KC], [&](int g) { return bw[g][q]; });
                }
            }
        }
    } else if constexpr (KD > 0) {
        chunk(0);
    } else {
        for (int k0 = 0; k0 < Kd; k0 += COLS_KC) chunk(k0);
    }
    if (!active) return;
    T out[GROUPS];
#pragma unroll
    for (int g = 0; g < GROUPS; g++) out[g] = warp_transpose_sum(acc[g]);
    if (lane < mc) epi(m0 + lane, n, out);
}

template <typename T, int GROUPS, typename ALoad, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_columns(int M, int N, int Kd, const ALoad& a, const BLoad& b, const Epi& epi) {
    __shared__ __align__(16) T As[kColsKc<T>][kColsLd<T>];
    switch (Kd) {
        case 64: gemm_columns_k<T, GROUPS, 64>(As, M, N, Kd, a, b, epi); break;
        case 128: gemm_columns_k<T, GROUPS, 128>(As, M, N, Kd, a, b, epi); break;
        case 256: gemm_columns_k<T, GROUPS, 256>(As, M, N, Kd, a, b, epi); break;
        case 384: gemm_columns_k<T, GROUPS, 384>(As, M, N, Kd, a, b, epi); break;
        default: gemm_columns_k<T, GROUPS, 0>(As, M, N, Kd, a, b, epi);
    }
}

// The per-column driver of at most GEMM_SMALL_M rows: gemm_slices in float32, gemm_columns in
// float64 (each the faster there).
template <typename T, int GROUPS, bool B_K_CONTIG, typename ALoad, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_rows(int M, int N, int Kd, const ALoad& a, const BLoad& b, const Epi& epi) {
    if constexpr (sizeof(T) == 4) {
        gemm_slices<T, GROUPS, B_K_CONTIG>(M, N, Kd, a, b, epi);
    } else {
        gemm_columns<T, GROUPS>(M, N, Kd, a, b, epi);
    }
}

// Rows up to which the row-per-lane product is used instead of the tiled one.
#define GEMM_SMALL_M 64

// A(m, k) = act(X[m][k]), act = silu or identity: raw loads, then the activation, so that the
// drivers can have the loads in flight before any value is activated.
template <typename T>
struct RowsA {
    const T* __restrict__ x;
    int ld;
    bool siluIn;
    PAINN_DEVICE T load(int m, int k) const { return x[(size_t)m * ld + k]; }
    PAINN_DEVICE void load4(int m, int k, T (&v)[4]) const { gload4(x + (size_t)m * ld + k, v); }
    PAINN_DEVICE T act(T v) const { return siluIn ? silu(v) : v; }
};

// B(k, n) = W[rowOffset_g + n][k]: a dense layer's weight, read transposed, for output block g.
template <typename T>
struct WeightT {
    const T* __restrict__ w;
    int in;
    int groupStride;
    PAINN_DEVICE T operator()(int g, int k, int n) const { return w[(size_t)(g * groupStride + n) * in + k]; }
    PAINN_DEVICE void load4k(int g, int k, int n, T (&v)[4]) const { gload4(w + (size_t)(g * groupStride + n) * in + k, v); }
};

// B(k, n) = W[k][n]: a dense layer's weight as the backward pass uses it, x̄ = ȳ·W.
template <typename T>
struct WeightN {
    const T* __restrict__ w;
    int in;
    PAINN_DEVICE T operator()(int, int k, int n) const { return w[(size_t)k * in + n]; }
    PAINN_DEVICE void load4n(int, int k, int n, T (&v)[4]) const { gload4(w + (size_t)k * in + n, v); }
};

// The products for hundreds to thousands of rows, where a GEMM makes only one to three blocks
// per multiprocessor, a few warps per scheduler, too few to hide one warp's shared-memory or
// global loads behind another's work; so each warp must hide its own:
//   * A slices come by cp.async, S stages deep, straight into shared memory as rows (no
//     registers held for them, no transposing stores); rows past M and k past Kd land as zeros
//     (a zero-filled copy, no branch);
//   * B slices too where W is read as stored (backward, B(k, n) = W[k][n]); read transposed
//     (forward) they go through registers a slice ahead and are stored transposed, since the
//     products need B rows contiguous in n;
//   * a thread's rows are BM/TM apart (m = tm + (BM/TM)·i), so that one 16-byte read gives it
//     four k of a row and the four rows a warp reads at once fall in different banks; its
//     columns come in quads (as in gemm_tiles), for the quad epilogues.
// Two shapes (gemm_big, gemm_mid below). Each output's sum still runs over k in order: the same
// bits as gemm_tiles. Needs Kd and N multiples of 4, A and W 16-byte aligned, and A without an
// activation (GemmKernel launches them only then).
template <typename T, int GROUPS, bool B_K_CONTIG, int BM, int BN, int TM, int TN, int BK, int S, typename BLoad,
          typename Epi>
PAINN_DEVICE void gemm_pipe(int M, int N, int Kd, const RowsA<T>& a, const BLoad& b, const Epi& epi) {
    constexpr int TX = BN / TN, TY = BM / TM, NT = TX * TY;
    // (the FMA-pipe loops' layout; the mma tiles have their own)
    [[maybe_unused]] constexpr int RS = BM / TM;              // a thread's rows are RS apart
    [[maybe_unused]] constexpr int CQ = TN / 4, CS = BN / CQ;  // its column quads CS apart
    constexpr int V = 16 / (int)sizeof(T);   // reals per 16-byte copy
    constexpr int LA = BK + V, LB = BN + V;  // padded rows, still 16-byte aligned
    constexpr int ACH = BM * BK / V / NT;    // A copies per thread and slice
    constexpr int BCH = BK * BN / V / NT;    // B copies per group (W as stored)
    constexpr int BQ = BN * BK / 4 / NT;     // B quads per group (W transposed)
    static_assert(ACH * V * NT == BM * BK && BCH * V * NT == BK * BN && BQ * 4 * NT == BN * BK, "whole copies");
    __shared__ __align__(16) T As[S][BM][LA];
    __shared__ __align__(16) T Bs[S][GROUPS][BK][LB];
    int tid = threadIdx.x;
    [[maybe_unused]] int tn = tid % TX, tm = tid / TX;
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    int slices = (Kd + BK - 1) / BK;

    auto copyA = [&](int st, int k0) {
#pragma unroll
        for (int l = 0; l < ACH; l++) {
            int c = tid + l * NT, row = c / (BK / V), k = k0 + (c % (BK / V)) * V;
            bool in = m0 + row < M && k < Kd;
            cp_async16_fill(&As[st][row][k - k0], in ? a.x + (size_t)(m0 + row) * a.ld + k : a.x, in ? 16 : 0);
        }
    };
    auto copyB = [&](int st, int k0) {
        if constexpr (!B_K_CONTIG) {
#pragma unroll
            for (int l = 0; l < BCH; l++) {
                int c = tid + l * NT, kk = c / (BN / V), n = n0 + (c % (BN / V)) * V;
                bool in = k0 + kk < Kd && n < N;
                cp_async16_fill(&Bs[st][0][kk][n - n0], in ? b.w + (size_t)(k0 + kk) * b.in + n : b.w, in ? 16 : 0);
            }
        }
    };
    T rb[GROUPS][BQ][4];
    auto loadB = [&](int k0) {
        if constexpr (B_K_CONTIG) {
#pragma unroll
            for (int g = 0; g < GROUPS; g++)
#pragma unroll
                for (int l = 0; l < BQ; l++) {
                    int idx = tid + l * NT, nn = idx / (BK / 4), k = k0 + (idx % (BK / 4)) * 4;
                    if (n0 + nn < N && k < Kd) {
                        b.load4k(g, k, n0 + nn, rb[g][l]);
                    } else {
#pragma unroll
                        for (int c = 0; c < 4; c++) rb[g][l][c] = T(0);
                    }
                }
        }
    };
    auto storeB = [&](int st) {
#pragma unroll
        for (int g = 0; g < GROUPS; g++)
#pragma unroll
            for (int l = 0; l < BQ; l++) {
                int idx = tid + l * NT, nn = idx / (BK / 4), kq = idx % (BK / 4);
#pragma unroll
                for (int c = 0; c < 4; c++) Bs[st][g][kq * 4 + c][nn] = rb[g][l][c];
            }
    };

#pragma unroll
    for (int s = 0; s < S - 1; s++) {
        if (s < slices) {
            copyA(s, s * BK);
            copyB(s, s * BK);
        }
        cp_async_commit();
    }
    if constexpr (B_K_CONTIG) {
        loadB(0);
        storeB(0);
        if (slices > 1) loadB(BK);
    }

    // the mma tiles or the FMA pipe's accumulators (the other is never used, and compiled away)
    constexpr bool MMA = kGemmMma<T>;
    using Tiles = MmaTiles<T, BM, BN, NT / 32, GROUPS>;
    static_assert(!MMA || BK % Tiles::KI == 0, "whole mma steps per slice");
    Tiles tiles;
    T acc[GROUPS][TM][TN];
    if constexpr (!MMA) {
#pragma unroll
        for (int g = 0; g < GROUPS; g++)
#pragma unroll
            for (int r = 0; r < TM; r++)
#pragma unroll
                for (int c = 0; c < TN; c++) acc[g][r][c] = T(0);
    }

    for (int s = 0; s < slices; s++) {
        cp_async_wait<S - 2>();
        __syncthreads();
        // slice s is in stage s % S for every thread, and nobody reads stage (s + S − 1) % S
        // (slice s − 1's) any more
        int next = s + S - 1;
        if (next < slices) {
            copyA(next % S, next * BK);
            copyB(next % S, next * BK);
        }
        cp_async_commit();
        if constexpr (B_K_CONTIG) {
            if (s + 1 < slices) {
                storeB((s + 1) % S);
                if (s + 2 < slices) loadB((s + 2) * BK);
            }
        }
        int st = s % S;
        if constexpr (MMA) {
#pragma unroll
            for (int kk = 0; kk < BK; kk += Tiles::KI)
                tiles.step(
                    kk, [&](int m, int k) { return As[st][m][k]; },
                    [&](int g, int k, int n) { return Bs[st][g][k][n]; });
        } else {
#pragma unroll
        for (int kq = 0; kq < BK / 4; kq++) {
            T ar[TM][4];
#pragma unroll
            for (int i = 0; i < TM; i++) load4(&As[st][tm + RS * i][kq * 4], ar[i]);
#pragma unroll
            for (int c4 = 0; c4 < 4; c4++) {
#pragma unroll
                for (int g = 0; g < GROUPS; g++) {
                    T br[TN];
#pragma unroll
                    for (int j = 0; j < CQ; j++) {
                        T q[4];
                        load4(&Bs[st][g][kq * 4 + c4][tn * 4 + CS * j], q);
#pragma unroll
                        for (int c = 0; c < 4; c++) br[j * 4 + c] = q[c];
                    }
#pragma unroll
                    for (int i = 0; i < TM; i++)
#pragma unroll
                        for (int j = 0; j < TN; j++) acc[g][i][j] += ar[i][c4] * br[j];
                }
            }
        }
        }
    }
    cp_async_wait<0>();
    if constexpr (MMA) {
        tiles.finish(m0, n0, M, N, epi);
    } else {

#pragma unroll
    for (int i = 0; i < TM; i++) {
        int m = m0 + tm + RS * i;
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < CQ; j++) {
            int n = n0 + tn * 4 + CS * j;
            T out[4][GROUPS];
#pragma unroll
            for (int c = 0; c < 4; c++)
#pragma unroll
                for (int g = 0; g < GROUPS; g++) out[c][g] = acc[g][i][j * 4 + c];
            epilogue4(epi, m, n, N, out);
        }
    }
    }
}

// Many rows (thousands of atoms): 128×64 tiles of 8×8 per thread, 128 threads, one group;
// slices of 64 bytes of k, three stages.
template <typename T, int GROUPS, bool B_K_CONTIG, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_big(int M, int N, int Kd, const RowsA<T>& a, const BLoad& b, const Epi& epi) {
    static_assert(GROUPS == 1, "the big tiles compute one group");
    static_assert((GEMM_BIG_M / GEMM_BIG_TM) * (GEMM_BIG_N / GEMM_BIG_TN) == GEMM_BIG_THREADS, "threads");
    gemm_pipe<T, 1, B_K_CONTIG, GEMM_BIG_M, GEMM_BIG_N, GEMM_BIG_TM, GEMM_BIG_TN, GEMM_BIG_K_BYTES / sizeof(T),
              GEMM_BIG_STAGES>(M, N, Kd, a, b, epi);
}

// Hundreds of rows to a few thousand (where 64×64 tiles make fewer than two blocks per
// multiprocessor): 32×32 tiles, four times as many blocks as 64×64 ones; float32 2×4 outputs
// per thread (128 threads: at 256–1,024 atoms 2×4 beat 4×4 by 4–11 %), float64 4×4 (64
// threads: there 2×4 lost 2–12 %); slices of 128 bytes of k (half as many slices to wait for),
// three stages, two for three groups (shared memory).
#define GEMM_MID_TILE 32
#define GEMM_MID_ROWS_F32 2
#define GEMM_MID_ROWS_F64 4
template <typename T> constexpr int kMidRowsPerThread = sizeof(T) == 4 ? GEMM_MID_ROWS_F32 : GEMM_MID_ROWS_F64;
template <typename T, int GROUPS, bool B_K_CONTIG, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_mid(int M, int N, int Kd, const RowsA<T>& a, const BLoad& b, const Epi& epi) {
    gemm_pipe<T, GROUPS, B_K_CONTIG, GEMM_MID_TILE, GEMM_MID_TILE, kMidRowsPerThread<T>, 4, 128 / sizeof(T),
              GROUPS == 1 ? 3 : 2>(M, N, Kd, a, b, epi);
}

// The drivers by name, for kernels that differ only in which one they run: 64×64 tiles,
// pipelined 128×64 tiles (one group) and 32×32 tiles (A as plain rows for both), the
// per-column one, and (float32, Hopper) its forms over clusters of 2 and 3 blocks.
enum GemmDriver { GEMM_TILES, GEMM_BIG, GEMM_MID, GEMM_ROWS, GEMM_ROWS_C2, GEMM_ROWS_C3 };
template <GemmDriver D, typename T, int GROUPS, bool B_K_CONTIG, typename ALoad, typename BLoad, typename Epi>
PAINN_DEVICE void gemm(int M, int N, int Kd, const ALoad& a, const BLoad& b, const Epi& epi) {
    if constexpr (D == GEMM_ROWS) {
        gemm_rows<T, GROUPS, B_K_CONTIG>(M, N, Kd, a, b, epi);
    } else if constexpr (D == GEMM_ROWS_C2 || D == GEMM_ROWS_C3) {
        gemm_slices_cluster<T, GROUPS, B_K_CONTIG, D == GEMM_ROWS_C2 ? 2 : 3>(M, N, Kd, a, b, epi);
    } else if constexpr (D == GEMM_BIG) {
        gemm_big<T, GROUPS, B_K_CONTIG>(M, N, Kd, a, b, epi);
    } else if constexpr (D == GEMM_MID) {
        gemm_mid<T, GROUPS, B_K_CONTIG>(M, N, Kd, a, b, epi);
    } else {
        gemm_small<T, GROUPS, B_K_CONTIG>(M, N, Kd, a, b, epi);
    }
}
