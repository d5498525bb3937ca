package org.painn4j.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The CPU engine's loops over disjoint ranges, run on the fork-join pool the caller runs in
 * (the common pool outside one; {@link CpuCalculator} runs each evaluation in its own pool when
 * given a number of threads).
 *
 * <p>Why the results do not depend on the number of threads: every output element is written by
 * one chunk alone, and a chunk does its share in the order of the serial loop, so each sum is
 * taken over the same terms in the same order whatever the split. Sums that cross chunks (a
 * neighbor's adjoint gathered over many rows) are not formed here; {@link Message} gathers them
 * in a fixed order instead.
 */
final class Parallel {
    private Parallel() {
    }

    /** Work on the indices [from, to). */
    interface Body {
        void run(int from, int to);
    }

    /**
     * Runs body over [0, n) in chunks of at least {@code minChunk} indices, as many as keep every
     * thread busy (up to four per thread) and of nearly equal size.
     */
    static void range(int n, int minChunk, Body body) {
        range(n, minChunk, 1, body);
    }

    /** As {@link #range(int, int, Body)}, with every chunk but the last a multiple of {@code align}. */
    static void range(int n, int minChunk, int align, Body body) {
        if (minChunk < 1 || align < 1) {
            throw new IllegalArgumentException("minChunk " + minChunk + ", align " + align);
        }
        int threads = threads();
        if (threads == 1 || n < 2 * minChunk) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        int chunks = (int) Math.min(n / minChunk, 4L * threads);
        new Split(body, n, chunks, align, 0, chunks).invoke();
    }

    /** The fewest items worth a chunk of their own, for items of {@code opsPerItem} multiply-adds. */
    static int minChunk(long opsPerItem) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, MIN_OPS / Math.max(1, opsPerItem)));
    }

    /**
     * About this many multiply-adds at least per chunk (some 100 µs on one core): waking a parked
     * worker costs tens of microseconds, and a 5-atom molecule was slower on two threads than on
     * one with chunks of an eighth of this.
     */
    private static final long MIN_OPS = 1 << 18;

    /** The threads of the pool the caller runs in (the common pool's workers and the caller outside one). */
    private static int threads() {
        return ForkJoinTask.inForkJoinPool() ? ForkJoinTask.getPool().getParallelism()
                : ForkJoinPool.getCommonPoolParallelism() + 1;
    }

    private static final class Split extends RecursiveAction {
        private final Body body;
        private final int n;
        private final int chunks;
        private final int align;
        private final int lo;
        private final int hi;

        /** Chunks [lo, hi) of n indices cut into {@code chunks}. */
        Split(Body body, int n, int chunks, int align, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.align = align;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                int from = bound(lo);
                int to = bound(hi);
                if (from < to) {
                    body.run(from, to);
                }
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Split(body, n, chunks, align, lo, mid), new Split(body, n, chunks, align, mid, hi));
        }

        /** Where chunk c starts: c/chunks of the way, rounded to a multiple of align. */
        private int bound(int c) {
            if (c == chunks) {
                return n;
            }
            long at = (long) c * n / chunks;
            return (int) Math.min(n, (at + align / 2) / align * align);
        }
    }
}
