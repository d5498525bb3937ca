package org.painn4j.md;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
 * counter-based generator of Random123 and cuRAND: a pure function of a 128-bit counter and a
 * 64-bit key. Nothing is carried from one draw to the next, so a restarted run, a replica or a
 * GPU thread per atom gets the same numbers from the same (key, counter) without sharing state.
 *
 * <p>The mapping used by molecular dynamics (docs/md.md repeats it for the CUDA kernels):
 * key = (seed low 32 bits, seed high 32 bits); counter = (atom, step low 32 bits,
 * step high 32 bits, stream). One block of four words gives the three normal deviates of one atom
 * (x, y, z) through two Box–Muller pairs; the fourth deviate is discarded.
 */
public final class Philox {
    /** Stream word for the Langevin noise of a step. */
    public static final int STREAM_LANGEVIN = 0;
    /** Stream word for initial Maxwell–Boltzmann momenta (step 0). */
    public static final int STREAM_VELOCITIES = 1;

    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final double TWO_POW_M32 = 0x1.0p-32;
    private static final double TWO_PI = 2 * Math.PI;

    private Philox() {
    }

    /** The four output words for counter (c0, c1, c2, c3) and key (k0, k1). */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = M0 * (c0 & 0xFFFFFFFFL);
            long p1 = M1 * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32);
            int lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32);
            int lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /**
     * A word as a uniform deviate in (0, 1): (x + 0.5)·2⁻³², exact in double and never 0 or 1,
     * so the logarithm in Box–Muller is always finite.
     */
    public static double uniform(int word) {
        return ((word & 0xFFFFFFFFL) + 0.5) * TWO_POW_M32;
    }

    /**
     * Three standard normal deviates for one atom at one step, written to out[offset..offset+2].
     * With u0..u3 the uniforms of the block's words:
     * n_x = sqrt(−2 ln u0)·cos(2π u1), n_y = sqrt(−2 ln u0)·sin(2π u1), n_z = sqrt(−2 ln u2)·cos(2π u3).
     * StrictMath, so that every JVM gives the same bits.
     */
    public static void gaussian3(long seed, int stream, long step, int atom, double[] out, int offset) {
        int[] w = block(atom, (int) step, (int) (step >>> 32), stream, (int) seed, (int) (seed >>> 32));
        double r0 = StrictMath.sqrt(-2 * StrictMath.log(uniform(w[0])));
        double t0 = TWO_PI * uniform(w[1]);
        double r1 = StrictMath.sqrt(-2 * StrictMath.log(uniform(w[2])));
        double t1 = TWO_PI * uniform(w[3]);
        out[offset] = r0 * StrictMath.cos(t0);
        out[offset + 1] = r0 * StrictMath.sin(t0);
        out[offset + 2] = r1 * StrictMath.cos(t1);
    }
}
