// Shared device helpers for the painn4j kernels. Every kernel is a template on the real type T
// (float or double) with extern "C" entry points per type, e.g. painn_message_fwd_f32.
#pragma once

#include <cstdint>

#define PAINN_DEVICE __device__ __forceinline__

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
    extern "C" __global__ void name##_f32 PARAMS(float) { name##_impl<float> args; }      \
    extern "C" __global__ void name##_f64 PARAMS(double) { name##_impl<double> args; }

// The same, for kernels that also take the radial basis size as a compile-time bound KMAX
// (arrays of K filter weights live in registers only when their size is known at compile
// time): name_f32_k<KMAX>, name_f64_k<KMAX>.
#define PAINN_ENTRY_K(name, KM, PARAMS, args)                                                    \
    extern "C" __global__ void __launch_bounds__(256) name##_f32_k##KM PARAMS(float) {           \
        name##_impl<float, KM> args;                                                             \
    }                                                                                            \
    extern "C" __global__ void __launch_bounds__(256) name##_f64_k##KM PARAMS(double) {          \
        name##_impl<double, KM> args;                                                            \
    }
