// Atom-wise dense layers (context nets, channel mix, readout) as tiled GEMMs, forward and
// backward, with their element-wise neighbours fused (dense.cuh explains the main loop).
//   forward   Y = act(X)·Wᵀ + b [+ R] [, silu(Y)]  act = silu or identity, applied on load
//             (or, for the readout's last hidden layer, silu'(Y)·w in place of Y: DenseFwdEpi)
//   backward  X̄ = (Ȳ·W) [⊙ silu'(P)] [+ R]         P: the pre-activation that silu took
// Grid: (ceil(N/64), ceil(M/64)), 256 threads; the _big variants, for many rows,
// (ceil(N/64), ceil(M/128)), 128 threads, and the _mid variants (ceil(N/32), ceil(M/32)), 128
// threads (float32) or 64 (float64), both without activation on the input and with Kd and N
// multiples of 4; the _rows variants, for M ≤ 64 rows (small molecules),
// (ceil(N/8), ceil(M/32)).
#include "dense.cuh"

// yAct, where given, receives silu(y) as well: the next layer then stages it as it is instead of
// applying silu to every value in every block that stages it (in a per-column GEMM, silu was half
// the instructions of its staging).
//
// primeScale, where given, makes y the adjoint of a next layer of one output whose own adjoint is
// 1 (the readout's last layer, ∂E/∂y_i = 1): y = silu'(pre)·w, w that layer's weights, instead of
// the pre-activation. The backward pass then starts one layer down, a node fewer on its chain, with
// the same bits: the backward kernel formed (1·w)·silu'(pre) from the stored pre-activation.
template <typename T>
struct DenseFwdEpi {
    T* __restrict__ y;
    T* __restrict__ yAct;
    const T* __restrict__ bias;
    const T* __restrict__ residual;
    const T* __restrict__ primeScale;
    int N;
    PAINN_DEVICE void operator()(int m, int n, const T (&acc)[1]) const {
        T v = acc[0];
        if (bias) v += bias[n];
        if (residual) v += residual[(size_t)m * N + n];
        y[(size_t)m * N + n] = primeScale ? primeScale[n] * silu_prime(v) : v;
        if (yAct) yAct[(size_t)m * N + n] = silu(v);
    }
    PAINN_DEVICE bool quads() const { return N % 4 == 0; }
    PAINN_DEVICE void quad(int m, int n, const T (&acc)[4][1]) const {
        T b[4] = {0, 0, 0, 0}, r[4] = {0, 0, 0, 0}, v[4], o[4];
        size_t at = (size_t)m * N + n;
        if (bias) gload4(bias + n, b);
        if (residual) gload4(residual + at, r);
#pragma unroll
        for (int c = 0; c < 4; c++) {
            v[c] = acc[c][0];
            if (bias) v[c] += b[c];
            if (residual) v[c] += r[c];
        }
        if (primeScale) {
            gload4(primeScale + n, o);
#pragma unroll
            for (int c = 0; c < 4; c++) o[c] *= silu_prime(v[c]);
            store4(y + at, o);
        } else {
            store4(y + at, v);
        }
        if (yAct) {
#pragma unroll
            for (int c = 0; c < 4; c++) v[c] = silu(v[c]);
            store4(yAct + at, v);
        }
    }
};

template <typename T, GemmDriver D>
PAINN_DEVICE void painn_dense_fwd_impl(int M, int N, int Kd, const T* x, int siluIn, const T* w, const T* bias,
                                       const T* residual, T* y, T* yAct, const T* primeScale) {
    // the pipelined tiles copy A as it is stored: GemmKernel never gives them an activation
    if ((D == GEMM_BIG || D == GEMM_MID) && siluIn) __trap();
    RowsA<T> a{x, Kd, siluIn != 0};
    WeightT<T> b{w, Kd, 0};
    DenseFwdEpi<T> epi{y, yAct, bias, residual, primeScale, N};
    gemm<D, T, 1, true>(M, N, Kd, a, b, epi);
}

#define DENSE_FWD_PARAMS(T) \
    (int M, int N, int Kd, const T* x, int siluIn, const T* w, const T* bias, const T* residual, T* y, T* yAct, \
     const T* primeScale)
#define DENSE_FWD_ARGS (M, N, Kd, x, siluIn, w, bias, residual, y, yAct, primeScale)
PAINN_ENTRY_OF(painn_dense_fwd, painn_dense_fwd_impl, GEMM_TILES, DENSE_FWD_PARAMS, DENSE_FWD_ARGS)
PAINN_ENTRY_OF(painn_dense_fwd_big, painn_dense_fwd_impl, GEMM_BIG, DENSE_FWD_PARAMS, DENSE_FWD_ARGS)
PAINN_ENTRY_OF(painn_dense_fwd_mid, painn_dense_fwd_impl, GEMM_MID, DENSE_FWD_PARAMS, DENSE_FWD_ARGS)
PAINN_ENTRY_OF(painn_dense_fwd_rows, painn_dense_fwd_impl, GEMM_ROWS, DENSE_FWD_PARAMS, DENSE_FWD_ARGS)

template <typename T>
struct DenseBwdEpi {
    T* __restrict__ gx;
    const T* __restrict__ pre;
    const T* __restrict__ residual;
    int N;
    PAINN_DEVICE void operator()(int m, int n, const T (&acc)[1]) const {
        T v = acc[0];
        if (pre) v *= silu_prime(pre[(size_t)m * N + n]);
        if (residual) v += residual[(size_t)m * N + n];
        gx[(size_t)m * N + n] = v;
    }
    PAINN_DEVICE bool quads() const { return N % 4 == 0; }
    PAINN_DEVICE void quad(int m, int n, const T (&acc)[4][1]) const {
        T p[4], r[4], v[4];
        size_t at = (size_t)m * N + n;
        if (pre) gload4(pre + at, p);
        if (residual) gload4(residual + at, r);
#pragma unroll
        for (int c = 0; c < 4; c++) {
            v[c] = acc[c][0];
            if (pre) v[c] *= silu_prime(p[c]);
            if (residual) v[c] += r[c];
        }
        store4(gx + at, v);
    }
};

// M rows, N = the layer's inputs, Kd = its outputs; W is [Kd][N].
template <typename T, GemmDriver D>
PAINN_DEVICE void painn_dense_bwd_impl(int M, int N, int Kd, const T* gy, const T* w, const T* pre,
                                       const T* residual, T* gx) {
    RowsA<T> a{gy, Kd, false};
    WeightN<T> b{w, N};
    DenseBwdEpi<T> epi{gx, pre, residual, N};
    gemm<D, T, 1, false>(M, N, Kd, a, b, epi);
}

#define DENSE_BWD_PARAMS(T) (int M, int N, int Kd, const T* gy, const T* w, const T* pre, const T* residual, T* gx)
#define DENSE_BWD_ARGS (M, N, Kd, gy, w, pre, residual, gx)
PAINN_ENTRY_OF(painn_dense_bwd, painn_dense_bwd_impl, GEMM_TILES, DENSE_BWD_PARAMS, DENSE_BWD_ARGS)
PAINN_ENTRY_OF(painn_dense_bwd_big, painn_dense_bwd_impl, GEMM_BIG, DENSE_BWD_PARAMS, DENSE_BWD_ARGS)
PAINN_ENTRY_OF(painn_dense_bwd_mid, painn_dense_bwd_impl, GEMM_MID, DENSE_BWD_PARAMS, DENSE_BWD_ARGS)
PAINN_ENTRY_OF(painn_dense_bwd_rows, painn_dense_bwd_impl, GEMM_ROWS, DENSE_BWD_PARAMS, DENSE_BWD_ARGS)

// The per-column products of K_d = 256 and 384 in float32 over clusters of 2 and 3 blocks
// (dense.cuh, gemm_slices_cluster): painn_dense_{fwd,bwd}_rows_c{2,3}_f32, Hopper and newer.
// Before Hopper the entry points exist (one module for every architecture) but GemmKernel never
// launches them there.
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
#define ROWS_CLUSTER_ENTRY(name, impl, CL, PARAMS, args)                                          \
    extern "C" __global__ void __cluster_dims__(CL, 1, 1) __launch_bounds__(128)                    \
        name##_rows_c##CL##_f32 PARAMS(float) { painn_grid_dependency();                                                     \
        impl<float, GEMM_ROWS_C##CL> args;                                                          \
    }
#else
#define ROWS_CLUSTER_ENTRY(name, impl, CL, PARAMS, args) extern "C" __global__ void name##_rows_c##CL##_f32 PARAMS(float) { painn_grid_dependency();}
#endif
ROWS_CLUSTER_ENTRY(painn_dense_fwd, painn_dense_fwd_impl, 2, DENSE_FWD_PARAMS, DENSE_FWD_ARGS)
ROWS_CLUSTER_ENTRY(painn_dense_fwd, painn_dense_fwd_impl, 3, DENSE_FWD_PARAMS, DENSE_FWD_ARGS)
ROWS_CLUSTER_ENTRY(painn_dense_bwd, painn_dense_bwd_impl, 2, DENSE_BWD_PARAMS, DENSE_BWD_ARGS)
ROWS_CLUSTER_ENTRY(painn_dense_bwd, painn_dense_bwd_impl, 3, DENSE_BWD_PARAMS, DENSE_BWD_ARGS)
