// Shared device helpers for the painn4j kernels. Every kernel is a template on the real type T
// (float or double) with extern "C" entry points per type, e.g. painn_message_fwd_f32.
#pragma once

#include <cstdint>

#define PAINN_DEVICE __device__ __forceinline__

// Programmatic dependent launch (Hopper and newer). Every kernel starts with this call: it waits
// until the kernel before it in the stream has finished and its writes are visible
// (griddepcontrol.wait). The host launches each kernel with programmatic stream serialization
// (cuLaunchKernelEx, gpu/DependentLaunch.java), so that the GPU starts launching it as the blocks
// of its predecessor exit instead of after that grid has completed; the wait keeps every
// kernel's view of memory what it is in plain stream order, so the results are the same bits.
// No kernel signals its dependents early (griddepcontrol.launch_dependents): blocks that sat
// waiting beside a running kernel slowed it more than the early start gained (docs/performance.md,
// entry 46). Without such a launch, and before Hopper, the call does nothing.
PAINN_DEVICE void painn_grid_dependency() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

template <typename T> PAINN_DEVICE T painn_exp(T x);
template <> PAINN_DEVICE float painn_exp<float>(float x) { return expf(x); }
template <> PAINN_DEVICE double painn_exp<double>(double x) { return exp(x); }

PAINN_DEVICE void painn_sincos(float x, float* s, float* c) { sincosf(x, s, c); }
PAINN_DEVICE void painn_sincos(double x, double* s, double* c) { sincos(x, s, c); }

template <typename T> PAINN_DEVICE T sigmoid(T x) { return T(1) / (T(1) + painn_exp(-x)); }
template <typename T> PAINN_DEVICE T silu(T x) { return x * sigmoid(x); }
// d/dx silu(x) = σ(x)(1 + x(1 − σ(x)))
template <typename T> PAINN_DEVICE T silu_prime(T x) {
    T s = sigmoid(x);
    return s * (T(1) + x * (T(1) - s));
}

// Four consecutive reals from 16-byte-aligned memory in one or two vector loads (a shared-memory
// load instruction moves 16 bytes as cheaply as 4).
PAINN_DEVICE void load4(const float* p, float (&v)[4]) {
    float4 q = *reinterpret_cast<const float4*>(p);
    v[0] = q.x;
    v[1] = q.y;
    v[2] = q.z;
    v[3] = q.w;
}
PAINN_DEVICE void load4(const double* p, double (&v)[4]) {
    double2 a = *reinterpret_cast<const double2*>(p);
    double2 b = *reinterpret_cast<const double2*>(p + 2);
    v[0] = a.x;
    v[1] = a.y;
    v[2] = b.x;
    v[3] = b.y;
}

// Asynchronous copies global → shared memory (sm_80+): issued without waiting, landed by
// cp_async_wait<N>() (at most N of the committed groups still in flight).
PAINN_DEVICE void cp_async16(void* dst, const void* src) {
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(src));
}

// 16 bytes of which the first `bytes` (0 or 16 here) are read and the rest zero-filled: rows and
// columns past a matrix's edge land as zeros without a branch around the copy.
PAINN_DEVICE void cp_async16_fill(void* dst, const void* src, int bytes) {
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(src), "r"(bytes));
}

template <int BYTES> PAINN_DEVICE void cp_async_small(void* dst, const void* src) {
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2;\n" ::"r"(s), "l"(src), "n"(BYTES));
}

PAINN_DEVICE void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int N> PAINN_DEVICE void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }

// One butterfly step of warp_transpose_sum (and of message.cu's warp_sum8): lanes with bit OFF
// set keep the upper OFF of their 2·OFF values, the others the lower, and each adds what its
// partner hands over.
template <int OFF, int N, typename T> PAINN_DEVICE void transpose_step(T (&v)[N], int lane) {
    bool upper = lane & OFF;
#pragma unroll
    for (int q = 0; q < OFF; q++) {
        T send = upper ? v[q] : v[q + OFF];
        T keep = upper ? v[q + OFF] : v[q];
        v[q] = keep + __shfl_xor_sync(0xffffffffu, send, OFF);
    }
}

// Sums 32 values across the warp and leaves the total of value m in lane m: each butterfly
// step hands half of a lane's values to its partner, 31 shuffles in all instead of 32 × 5.
template <typename T> PAINN_DEVICE T warp_transpose_sum(T (&v)[32]) {
    int lane = threadIdx.x & 31;
    transpose_step<16>(v, lane);
    transpose_step<8>(v, lane);
    transpose_step<4>(v, lane);
    transpose_step<2>(v, lane);
    transpose_step<1>(v, lane);
    return v[0];
}

template <typename T> PAINN_DEVICE T warp_sum(T v) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

// Stamps out the float and double entry points of a kernel template `name_impl<T>`:
// PARAMS is the name of a macro that writes the parameter list for a given real type, so
// that each list is written once, e.g.
//   #define RADIAL_FWD_PARAMS(T) (int n, const T* x, T* y)
//   PAINN_ENTRY(painn_radial_fwd, RADIAL_FWD_PARAMS, (n, x, y))
// gives painn_radial_fwd_f32(int, const float*, float*) and painn_radial_fwd_f64(...).
#define PAINN_ENTRY(name, PARAMS, args)                                                   \
    extern "C" __global__ void name##_f32 PARAMS(float) { painn_grid_dependency(); name##_impl<float> args; }      \
    extern "C" __global__ void name##_f64 PARAMS(double) { painn_grid_dependency(); name##_impl<double> args; }

// The same for entry points that share one implementation and differ in a compile-time
// argument (the GEMM driver of dense.cuh: GEMM_TILES, GEMM_BIG, GEMM_MID, GEMM_ROWS):
//   PAINN_ENTRY_OF(painn_dense_fwd_big, painn_dense_fwd_impl, GEMM_BIG, PARAMS, args)
// gives painn_dense_fwd_big_f32 calling painn_dense_fwd_impl<float, GEMM_BIG>, and _f64.
#define PAINN_ENTRY_OF(name, impl, ARG, PARAMS, args)                                      \
    extern "C" __global__ void name##_f32 PARAMS(float) { painn_grid_dependency(); impl<float, ARG> args; }       \
    extern "C" __global__ void name##_f64 PARAMS(double) { painn_grid_dependency(); impl<double, ARG> args; }

// The same, for kernels that also take the radial basis size as a compile-time bound KMAX
// (arrays of K filter weights live in registers only when their size is known at compile
// time): name_f32_k<KMAX>, name_f64_k<KMAX>.
#define PAINN_ENTRY_K(name, KM, PARAMS, args)                                                    \
    extern "C" __global__ void __launch_bounds__(256) name##_f32_k##KM PARAMS(float) { painn_grid_dependency();           \
        name##_impl<float, KM> args;                                                             \
    }                                                                                            \
    extern "C" __global__ void __launch_bounds__(256) name##_f64_k##KM PARAMS(double) { painn_grid_dependency();          \
        name##_impl<double, KM> args;                                                            \
    }
