package org.painn4j.gpu;

/** Whether a CUDA device can be used here, probed once. */
public final class Gpu {
    private static volatile String reason;
    private static volatile boolean probed;

    private Gpu() {
    }

    public static boolean available() {
        probe();
        return reason == null;
    }

    /** Why no device can be used, or null when one can. */
    public static String unavailableReason() {
        probe();
        return reason;
    }

    private static synchronized void probe() {
        if (probed) {
            return;
        }
        try {
            CudaContext.shared();
            reason = null;
        } catch (Throwable t) {
            // a missing libcuda shows up as an UnsatisfiedLinkError from JCuda's native loader
            String m = t.getMessage();
            reason = m == null ? t.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
        }
        probed = true;
    }
}
