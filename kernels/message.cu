// Stage 2+3: filter + message + aggregation, fused (derivation.md §3, §4).
// W_ij is formed inside the kernels from the K radial values (3F·K filter weights per thread in
// registers) and never stored as an [E, 3F·L] tensor. One thread per feature f (blockDim ≥ F, at
// most 256); each block walks the rows of a contiguous range of atoms (`perBlock` of them) as one
// stream of edges, so that the filter weights are loaded once per block and no row end drains
// the loads in flight. The kernels are compiled for K ≤ KMAX, as many multiply-adds per edge as
// KMAX: the host picks the smallest bound that holds K (an exact one for the common K). The
// common configuration (K ≤ 20, F = 128) is also compiled with F fixed (the _f128 entry points):
// a gathered row's three reals then sit at constant offsets from one address.
//
// The edge scalars (φ, φ', fc, fc', u) and neighbor indices come into shared memory a span at a
// time by cp.async, the next span while the current one is computed. What a feature thread
// waits on per edge is the neighbor's row (x_j, v_j and, backward, s̄'_j, v̄'_j), gathered from
// anywhere in the atom arrays: those loads are issued a few edges ahead into registers
// (Ahead::D), unconditionally (past the span's end the last edge is loaded again), so that
// several are in flight while the filter of the current edge is formed. Sums run over each row
// in its fixed order and nothing is accumulated with atomics, so results are the same bit for bit
// every run, whatever the grid.
//
//   painn_message_fwd   s'_i = s_i + Σ_e a_e,  v'_ic = v_ic + Σ_e (b_e u_ec + c_e v_jc)
//   painn_message_bwd   one pass over the row of atom a, W computed once per edge for both uses:
//     as the centre of e = (a, j): the edge's share of ∂E/∂d and ∂E/∂u, reduced over features
//       in a fixed tree and written per edge (∂E/∂d = Σ_o W̄_o ∂W_o/∂d folds (2.4), (3.2), (3.3));
//     as the neighbour of the reverse edge (j, a): (4.5) and (4.8) for atom a, gathered over its
//       own row instead of scattered into it.
// Layer 0 reads x and s through the atomic numbers (they depend on Z alone: per-element tables)
// and has v = 0; its backward needs no ∂E/∂v or ∂E/∂x (the embedding is not a function of the
// positions). Those kernels (_l0_) are compiled apart, so that neither form tests the other's
// conditions per edge.
#include "message.cuh"

// The two forms of a layer, compiled apart so that neither tests the other's conditions per
// edge: TABLE (layer 0) reads x and s through the atomic numbers and has v = 0 and, backward,
// no input adjoints; otherwise x, s, v are per atom and the adjoints are computed.
#define MSG_ENTRY_AS(name, sfx, KM, FC, BOUNDS32, PARAMS, args)                                      \
    extern "C" __global__ void __launch_bounds__ BOUNDS32 name##_f32_k##KM##sfx PARAMS(float) { painn_grid_dependency();         \
        name##_impl<float, KM, false, FC, ROW_PLAIN> args;                                                         \
    }                                                                                                   \
    extern "C" __global__ void __launch_bounds__(256) name##_f64_k##KM##sfx PARAMS(double) { painn_grid_dependency();            \
        name##_impl<double, KM, false, FC, ROW_PLAIN> args;                                                        \
    }                                                                                                   \
    extern "C" __global__ void __launch_bounds__(256) name##_l0_f32_k##KM##sfx PARAMS(float) { painn_grid_dependency();          \
        name##_impl<float, KM, true, FC, ROW_PLAIN> args;                                                          \
    }                                                                                                   \
    extern "C" __global__ void __launch_bounds__(256) name##_l0_f64_k##KM##sfx PARAMS(double) { painn_grid_dependency();         \
        name##_impl<double, KM, true, FC, ROW_PLAIN> args;                                                         \
    }
// name_f32_kKM (any F) and name_f32_kKM_fFC (F = FC compiled in: the three reals of a gathered row
// then sit at constant offsets, one address per row instead of one per real). BOUNDS32: the float32
// kernel of layers ≥ 1 may be held to fewer registers where its block is known (MSG_ENTRY_F).
#define MSG_ENTRY(name, KM, PARAMS, args) MSG_ENTRY_AS(name, , KM, 0, (256), PARAMS, args)
#define MSG_ENTRY_F(name, KM, FC, BOUNDS32, PARAMS, args) MSG_ENTRY_AS(name, _f##FC, KM, FC, BOUNDS32, PARAMS, args)

MSG_ENTRY(painn_message_fwd, 8, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
MSG_ENTRY(painn_message_fwd, 12, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
MSG_ENTRY(painn_message_fwd, 16, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
MSG_ENTRY(painn_message_fwd, 20, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
MSG_ENTRY(painn_message_fwd, 24, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
MSG_ENTRY(painn_message_fwd, 32, MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)
MSG_ENTRY_F(painn_message_fwd, 20, 128, (256), MESSAGE_FWD_PARAMS, MESSAGE_FWD_ARGS)

MSG_ENTRY(painn_message_bwd, 8, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
MSG_ENTRY(painn_message_bwd, 12, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
MSG_ENTRY(painn_message_bwd, 16, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
MSG_ENTRY(painn_message_bwd, 20, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
MSG_ENTRY(painn_message_bwd, 24, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
MSG_ENTRY(painn_message_bwd, 32, MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
// Its blocks are of F = 128 threads: four of them per multiprocessor at 128 registers, without
// spills (160 registers before, three blocks; 1,998 against 2,041 µs for the two calls at 16,384
// atoms, performance.md entry 65)
MSG_ENTRY_F(painn_message_bwd, 20, 128, (128, 4), MESSAGE_BWD_PARAMS, MESSAGE_BWD_ARGS)
