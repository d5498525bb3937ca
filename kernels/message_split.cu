// The message kernels of message.cu with each row split over a cluster of SPLIT_CLUSTER blocks
// (Hopper, sm_90), for small structures.
//
// Why: a small molecule has fewer atoms than the GPU has multiprocessors, and message.cu gives
// each atom's row to one block of F threads, which walks its 10–40 edges one after another (about
// 280 instructions per edge and warp backward). Here block r of cluster a takes chunk r of atom
// a's row (message.cuh, SplitRow: a few edges each), so the edges of a row run side by side on
// up to SPLIT_CLUSTER multiprocessors; the per-edge results (∂E/∂d, ∂E/∂u) are the same, and the
// sums over the row (s', v'; backward v̄, x̄) are added over the chunks in chunk order through
// distributed shared memory. Used for structures of at most MessageKernels.SPLIT_ATOMS atoms,
// alone and in batches alike; a batch of more atoms in all takes the _chunked kernels (the same
// sums by the same chunks, a block per row), so that a structure gets the same bits either way.
// No atomics.
#include "message.cuh"

// A variant for measurement (kernels/message-variants.sh), off in the shipped build: the float32
// backward kernels with F = 128, whose blocks are of 128 threads, held to 128 registers as
// message.cu's own is.
#if defined(MESSAGE_SPLIT_BWD_F128_AT_128_REGISTERS) && MESSAGE_SPLIT_BWD_F128_AT_128_REGISTERS
#define MESSAGE_SPLIT_BWD_F128_BOUNDS (128, 4)
#else
#define MESSAGE_SPLIT_BWD_F128_BOUNDS (256)
#endif
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
#define SPLIT_KERNEL_AS(name, T, KM, TABLE, FC, BOUNDS, sfx, PARAMS, args)                              \
    extern "C" __global__ void __cluster_dims__(SPLIT_CLUSTER, 1, 1) __launch_bounds__ BOUNDS             \
        name##sfx PARAMS(T) { painn_grid_dependency();                                                                             \
        name##_impl<T, KM, TABLE, FC, ROW_SPLIT> args;                                                    \
    }
#define CHUNKED_KERNEL_AS(name, T, KM, TABLE, FC, BOUNDS, sfx, PARAMS, args)                            \
    extern "C" __global__ void __launch_bounds__ BOUNDS name##sfx PARAMS(T) { painn_grid_dependency();                             \
        name##_impl<T, KM, TABLE, FC, ROW_CHUNKED> args;                                                  \
    }
#else
// Before Hopper there are no clusters: the entry points exist (one module for every architecture)
// but MessageKernels never launches them there.
#define SPLIT_KERNEL_AS(name, T, KM, TABLE, FC, BOUNDS, sfx, PARAMS, args) \
    extern "C" __global__ void name##sfx PARAMS(T) { painn_grid_dependency();}
#define CHUNKED_KERNEL_AS SPLIT_KERNEL_AS
#endif
#define SPLIT_KERNEL(name, T, KM, TABLE, FC, sfx, PARAMS, args) \
    SPLIT_KERNEL_AS(name, T, KM, TABLE, FC, (256), sfx, PARAMS, args)
#define CHUNKED_KERNEL(name, T, KM, TABLE, FC, sfx, PARAMS, args) \
    CHUNKED_KERNEL_AS(name, T, KM, TABLE, FC, (256), sfx, PARAMS, args)

// painn_message_fwd_split_f32_kKM[_fFC] and the _f64, _l0_ forms, as message.cu names its own;
// painn_message_fwd_chunked_... the same sums one block per range of rows (layer 0's backward
// has no sums over a row: its kernels by rows give the bits of its split ones).
// BOUNDS32: the launch bounds of the float32 kernels of layers ≥ 1
#define SPLIT_ENTRY_AS(name, sfx, KM, FC, BOUNDS32, PARAMS, args)                                   \
    SPLIT_KERNEL_AS(name, float, KM, false, FC, BOUNDS32, _split_f32_k##KM##sfx, PARAMS, args)       \
    SPLIT_KERNEL(name, double, KM, false, FC, _split_f64_k##KM##sfx, PARAMS, args)                   \
    SPLIT_KERNEL(name, float, KM, true, FC, _split_l0_f32_k##KM##sfx, PARAMS, args)                  \
    SPLIT_KERNEL(name, double, KM, true, FC, _split_l0_f64_k##KM##sfx, PARAMS, args)                 \
    CHUNKED_KERNEL_AS(name, float, KM, false, FC, BOUNDS32, _chunked_f32_k##KM##sfx, PARAMS, args)   \
    CHUNKED_KERNEL(name, double, KM, false, FC, _chunked_f64_k##KM##sfx, PARAMS, args)
#define SPLIT_ENTRY_L0(name, sfx, KM, FC, PARAMS, args)                                             \
    CHUNKED_KERNEL(name, float, KM, true, FC, _chunked_l0_f32_k##KM##sfx, PARAMS, args)              \
    CHUNKED_KERNEL(name, double, KM, true, FC, _chunked_l0_f64_k##KM##sfx, PARAMS, args)

// Compiled for K ≤ 20 (the padded φ and weights add exact zeros, so a model of smaller K gets the
// bits of its own bound) and K ≤ 32, any F, and for the common K ≤ 20, F = 128.
SPLIT_ENTRY_AS(painn_message_fwd, , 20, 0, (256), MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
SPLIT_ENTRY_AS(painn_message_fwd, , 32, 0, (256), MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
SPLIT_ENTRY_AS(painn_message_fwd, _f128, 20, 128, (256), MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
SPLIT_ENTRY_L0(painn_message_fwd, , 20, 0, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
SPLIT_ENTRY_L0(painn_message_fwd, , 32, 0, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
SPLIT_ENTRY_L0(painn_message_fwd, _f128, 20, 128, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
SPLIT_ENTRY_AS(painn_message_bwd, , 20, 0, (256), MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
SPLIT_ENTRY_AS(painn_message_bwd, , 32, 0, (256), MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
SPLIT_ENTRY_AS(painn_message_bwd, _f128, 20, 128, MESSAGE_SPLIT_BWD_F128_BOUNDS, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
