package org.painn4j.gpu;

import jcuda.driver.CUstream;
import org.painn4j.calc.Precision;

/** The mixing block's fused element-wise kernels and its update GEMM (mixing.cu). */
final class MixingKernels {
    private static final int THREADS = 256;
    private final Kernel normFwd;
    private final GemmKernel updateFwd;
    private final Kernel prepBwd;
    private final Kernel normBwd;

    MixingKernels(CudaContext cuda, Precision p) {
        String t = Real.suffix(p);
        normFwd = new Kernel(cuda, "mixing", "painn_mixing_norm_fwd_" + t);
        // three column groups of 4×4 outputs per thread already take the registers that 8×8 tiles would
        updateFwd = new GemmKernel(cuda, "mixing", "painn_mixing_update_fwd", p, false, 3);
        prepBwd = new Kernel(cuda, "mixing", "painn_mixing_prep_bwd_" + t);
        normBwd = new Kernel(cuda, "mixing", "painn_mixing_norm_bwd_" + t);
    }

    /** ctx = [s', n], norm n, S = Σ_c V U from the channel mix VU. */
    void normForward(CUstream s, int n, int f, double eps, DeviceBuffer sMid, DeviceBuffer vu, DeviceBuffer ctx,
                     DeviceBuffer norm, DeviceBuffer dot) {
        normFwd.launch(s, blocks(n * f), 1, THREADS, n, f, eps, sMid, vu, ctx, norm, dot);
    }

    /**
     * y = Dense₄(h), s'' = s' + p + r S, v'' = v' + q U in one GEMM, h = silu(Dense₃(ctx)) as
     * Dense₃ stored it; perColumn as {@link GemmKernel}'s (for a batch: what its largest structure
     * takes alone).
     */
    void updateForward(CUstream s, int n, boolean perColumn, int f, DeviceBuffer h, DeviceBuffer w4,
                       DeviceBuffer b4, DeviceBuffer dot, DeviceBuffer vu, DeviceBuffer sMid, DeviceBuffer vMid,
                       DeviceBuffer y, DeviceBuffer sOut, DeviceBuffer vOut) {
        updateFwd.launch(s, n, f, f, perColumn, f % 4 == 0, n, f, h, w4, b4, dot, vu, sMid, vMid, y, sOut, vOut);
    }

    /** (p̄, q̄, r̄) and the first part of (V̄, Ū). */
    void prepBackward(CUstream s, int n, int f, DeviceBuffer gsOut, DeviceBuffer gvOut, DeviceBuffer y,
                      DeviceBuffer vu, DeviceBuffer dot, DeviceBuffer gy, DeviceBuffer gvu) {
        prepBwd.launch(s, blocks(n * f), 1, THREADS, n, f, gsOut, gvOut, y, vu, dot, gy, gvu);
    }

    /** s̄' = s̄'' + ctx̄[:F]; V̄ += (ctx̄[F:]/n) V. */
    void normBackward(CUstream s, int n, int f, DeviceBuffer gsOut, DeviceBuffer gctx, DeviceBuffer vu,
                      DeviceBuffer norm, DeviceBuffer gs, DeviceBuffer gvu) {
        normBwd.launch(s, blocks(n * f), 1, THREADS, n, f, gsOut, gctx, vu, norm, gs, gvu);
    }

    private static int blocks(int count) {
        return (count + THREADS - 1) / THREADS;
    }
}
