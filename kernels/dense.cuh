// The tiled GEMM main loop shared by every atom-wise dense layer: C[m][n] = Σ_k A(m,k)·B(k,n)
// over 64×64 output tiles, 16-deep K slices staged in shared memory, 256 threads computing 4×4
// outputs each. A and B are read through small functors, so that a kernel can apply silu to A
// as it loads (the activation between two dense layers never touches memory) and read W
// transposed (forward, B(k,n) = W[n][k]) or not (backward, B(k,n) = W[k][n]); the epilogue
// functor receives every finished output and fuses bias, silu', residual adds or a PaiNN
// update. GROUPS sets of B columns share one A tile: the mixing update computes p, q and r of
// the same features in one block.
#pragma once

#include "common.cuh"

#define GEMM_BM 64
#define GEMM_BN 64
#define GEMM_BK 16
#define GEMM_THREADS 256

// B_K_CONTIG: B(k, n) is contiguous in k (W read transposed); otherwise contiguous in n.
template <typename T, int GROUPS, bool B_K_CONTIG, typename ALoad, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_tiles(int M, int N, int Kd, const ALoad& a, const BLoad& b, const Epi& epi) {
    __shared__ __align__(16) T As[GEMM_BK][GEMM_BM + 4];
    __shared__ __align__(16) T Bs[GROUPS][GEMM_BK][GEMM_BN + 4];
    int m0 = blockIdx.y * GEMM_BM, n0 = blockIdx.x * GEMM_BN;
    int tid = threadIdx.x;
    int tn = tid % 16, tm = tid / 16;
    T acc[GROUPS][4][4];
#pragma unroll
    for (int g = 0; g < GROUPS; g++)
#pragma unroll
        for (int r = 0; r < 4; r++)
#pragma unroll
            for (int c = 0; c < 4; c++) acc[g][r][c] = T(0);
    for (int k0 = 0; k0 < Kd; k0 += GEMM_BK) {
#pragma unroll
        for (int l = 0; l < (GEMM_BM * GEMM_BK) / GEMM_THREADS; l++) {
            int idx = tid + l * GEMM_THREADS;
            int kk = idx % GEMM_BK, mm = idx / GEMM_BK;
            int m = m0 + mm, k = k0 + kk;
            As[kk][mm] = (m < M && k < Kd) ? a(m, k) : T(0);
        }
#pragma unroll
        for (int g = 0; g < GROUPS; g++) {
#pragma unroll
            for (int l = 0; l < (GEMM_BN * GEMM_BK) / GEMM_THREADS; l++) {
                int idx = tid + l * GEMM_THREADS;
                int kk, nn;
                if (B_K_CONTIG) {
                    kk = idx % GEMM_BK;
                    nn = idx / GEMM_BK;
                } else {
                    nn = idx % GEMM_BN;
                    kk = idx / GEMM_BN;
                }
                int n = n0 + nn, k = k0 + kk;
                Bs[g][kk][nn] = (n < N && k < Kd) ? b(g, k, n) : T(0);
            }
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < GEMM_BK; kk++) {
            T ar[4];
            load4(&As[kk][tm * 4], ar);
#pragma unroll
            for (int g = 0; g < GROUPS; g++) {
                T br[4];
                load4(&Bs[g][kk][tn * 4], br);
#pragma unroll
                for (int r = 0; r < 4; r++)
#pragma unroll
                    for (int c = 0; c < 4; c++) acc[g][r][c] += ar[r] * br[c];
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
#pragma unroll
        for (int c = 0; c < 4; c++) {
            int m = m0 + tm * 4 + r, n = n0 + tn * 4 + c;
            if (m < M && n < N) {
                T out[GROUPS];
#pragma unroll
                for (int g = 0; g < GROUPS; g++) out[g] = acc[g][r][c];
                epi(m, n, out);
            }
        }
    }
}

// The same product for few rows (M ≤ 64, small molecules): a 64×64 tile would leave most of its
// rows empty and the whole GEMM to a handful of blocks. Here each warp owns one output column n
// (and its GROUPS companions) for up to 32 rows; lanes split k, and a transpose-sum leaves row m's
// total in lane m. Grid: (ceil(N/8), ceil(M/32)), 256 threads.
template <typename T, int GROUPS, typename ALoad, typename BLoad, typename Epi>
PAINN_DEVICE void gemm_rows(int M, int N, int Kd, const ALoad& a, const BLoad& b, const Epi& epi) {
    // A is staged whole when it fits (32 rows × up to ROWS_KC k, activation applied once and
    // shared by the 8 warps), so that a small product waits on memory once, not once per slice
    // rows padded to ROWS_LD so that lanes reading different k hit different banks, 16-byte aligned
    constexpr int ROWS_LD = sizeof(T) == 4 ? 36 : 34;
    constexpr int ROWS_KC = sizeof(T) == 4 ? 320 : 160;  // under 48 KB of shared memory
    __shared__ __align__(16) T As[ROWS_KC][ROWS_LD];
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
    constexpr int KPL = (ROWS_KC + 31) / 32;
    for (int k0 = 0; k0 < Kd; k0 += ROWS_KC) {
        int kc = min(ROWS_KC, Kd - k0);
        T bw[GROUPS][KPL];
#pragma unroll
        for (int q = 0; q < KPL; q++) {
            int kk = lane + 32 * q;
#pragma unroll
            for (int g = 0; g < GROUPS; g++) bw[g][q] = active && kk < kc ? b(g, k0 + kk, n) : T(0);
        }
        __syncthreads();
        // As[k][m]: lane-indexed reads below walk k, so k is the row. Eight loads are issued
        // before any is stored, so that their latencies overlap instead of adding up.
        constexpr int BATCH = 8;
        for (int base = threadIdx.x; base < 32 * kc; base += BATCH * blockDim.x) {
            T v[BATCH];
#pragma unroll
            for (int q = 0; q < BATCH; q++) {
                int t = base + q * blockDim.x;
                int m = t / kc, kk = t - m * kc;
                v[q] = (t < 32 * kc && m < mc) ? a(m0 + m, k0 + kk) : T(0);
            }
#pragma unroll
            for (int q = 0; q < BATCH; q++) {
                int t = base + q * blockDim.x;
                int m = t / kc, kk = t - m * kc;
                if (t < 32 * kc) As[kk][m] = v[q];
            }
        }
        __syncthreads();
        if (!active) continue;
#pragma unroll
        for (int q = 0; q < KPL; q++) {
            int kk = lane + 32 * q;
            if (kk >= kc) break;
            T bv[GROUPS];
#pragma unroll
            for (int g = 0; g < GROUPS; g++) bv[g] = bw[g][q];
            T av[32];
#pragma unroll
            for (int m = 0; m < 32; m += 4) {
                T q[4];
                load4(&As[kk][m], q);
                av[m] = q[0];
                av[m + 1] = q[1];
                av[m + 2] = q[2];
                av[m + 3] = q[3];
            }
#pragma unroll
            for (int m = 0; m < 32; m++)
#pragma unroll
                for (int g = 0; g < GROUPS; g++) acc[g][m] += av[m] * bv[g];
        }
    }
    if (!active) return;
    T out[GROUPS];
#pragma unroll
    for (int g = 0; g < GROUPS; g++) out[g] = warp_transpose_sum(acc[g]);
    if (lane < mc) epi(m0 + lane, n, out);
}

// Rows up to which the row-per-lane product is used instead of the tiled one.
#define GEMM_SMALL_M 64

// A(m, k) = X[m][k], optionally through silu.
template <typename T>
struct RowsA {
    const T* __restrict__ x;
    int ld;
    bool siluIn;
    PAINN_DEVICE T operator()(int m, int k) const {
        T v = x[(size_t)m * ld + k];
        return siluIn ? silu(v) : v;
    }
};

// B(k, n) = W[rowOffset_g + n][k]: a dense layer's weight, read transposed, for output block g.
template <typename T>
struct WeightT {
    const T* __restrict__ w;
    int in;
    int groupStride;
    PAINN_DEVICE T operator()(int g, int k, int n) const { return w[(size_t)(g * groupStride + n) * in + k]; }
};

// B(k, n) = W[k][n]: a dense layer's weight as the backward pass uses it, x̄ = ȳ·W.
template <typename T>
struct WeightN {
    const T* __restrict__ w;
    int in;
    PAINN_DEVICE T operator()(int, int k, int n) const { return w[(size_t)k * in + n]; }
};
