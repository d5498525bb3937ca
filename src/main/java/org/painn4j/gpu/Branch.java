package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;

import jcuda.CudaException;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * Side streams for work that nothing on the main stream reads until a later join: branches of
 * the captured graph, so that their kernels leave the chain that sets the latency (the
 * readout's energy sum runs beside the backward pass). Under the profiler, whose events time
 * the main stream's kernels one after another, and where turned off, a branch is the main
 * stream itself: the same kernels in the same order, so the same bits.
 */
final class Branch implements AutoCloseable {
    /** Branches open at once at most: the reverse edges', the readout's, one of layer 0 by elements. */
    static final int SIDES = 3;

    private final CUstream main;
    private final CUstream[] sides = new CUstream[SIDES];
    private final CUevent[] forked = new CUevent[SIDES];
    private final CUevent[] joined = new CUevent[SIDES];
    private final boolean[] open = new boolean[SIDES];
    private boolean on = true;

    Branch(CUstream main) {
        this.main = main;
        try {
            for (int i = 0; i < SIDES; i++) {
                sides[i] = new CUstream();
                cuStreamCreate(sides[i], CUstream_flags.CU_STREAM_NON_BLOCKING);
                forked[i] = event();
                joined[i] = event();
            }
        } catch (CudaException e) {
            throw new GpuException("cannot create the branch streams: " + e.getMessage(), e);
        }
    }

    private static CUevent event() {
        CUevent e = new CUevent();
        cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        return e;
    }

    /** Off: every branch runs on the main stream, in order. */
    void setOn(boolean on) {
        this.on = on;
    }

    /** Opens a branch after the work enqueued on the main stream so far; returns its stream. */
    CUstream fork() {
        if (!on || Profiler.active() != null) {
            return main;
        }
        for (int i = 0; i < SIDES; i++) {
            if (!open[i]) {
                open[i] = true;
                cuEventRecord(forked[i], main);
                cuStreamWaitEvent(sides[i], forked[i], 0);
                return sides[i];
            }
        }
        // only where evaluations failed and left their branches unjoined (their captures abandoned)
        reset();
        return fork();
    }

    /** What the main stream enqueues next waits for the branch on stream s (from fork). */
    void join(CUstream s) {
        for (int i = 0; i < SIDES; i++) {
            if (sides[i] == s && open[i]) {
                cuEventRecord(joined[i], s);
                cuStreamWaitEvent(main, joined[i], 0);
                open[i] = false;
            }
        }
    }

    /** Joins every open branch (the end of an evaluation). */
    void joinAll() {
        for (CUstream s : sides) {
            join(s);
        }
    }

    private void reset() {
        java.util.Arrays.fill(open, false);
    }

    @Override
    public void close() {
        for (int i = 0; i < SIDES; i++) {
            cuEventDestroy(forked[i]);
            cuEventDestroy(joined[i]);
            cuStreamDestroy(sides[i]);
        }
    }
}
