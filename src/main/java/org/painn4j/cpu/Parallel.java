package org.painn4j.cpu;

/**
 * The CPU engine's loops over disjoint ranges, run on the calling thread's {@link Team} (the one
 * {@link CpuCalculator} evaluates on), or serially where there is none.
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
        Team team = Team.current();
        if (team == null || team.threads() == 1 || n < 2 * minChunk) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        int chunks = (int) Math.min(n / minChunk, 4L * team.threads());
        team.run(chunks, c -> {
            int from = bound(c, chunks, n, align);
            int to = bound(c + 1, chunks, n, align);
            if (from < to) {
                body.run(from, to);
            }
        });
    }

    /** Where chunk c of n indices cut into chunks starts: c/chunks of the way, rounded to a multiple of align. */
    static int bound(int c, int chunks, int n, int align) {
        if (c >= chunks) {
            return n;
        }
        long at = (long) c * n / chunks;
        return (int) Math.min(n, (at + align / 2) / align * align);
    }

    /** The fewest items worth a chunk of their own, for items of {@code opsPerItem} multiply-adds. */
    static int minChunk(long opsPerItem) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, MIN_OPS / Math.max(1, opsPerItem)));
    }

    /**
     * About this many multiply-adds at least per chunk (some 25 µs on one core): a loop on the
     * team costs a microsecond or two when its threads are spinning, and ethanol was faster on two
     * threads with this than with 2¹⁸ (docs/performance.md, "The CPU engine").
     */
    private static final long MIN_OPS = 1 << 16;
}
