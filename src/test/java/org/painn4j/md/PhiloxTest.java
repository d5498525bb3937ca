package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PhiloxTest {
    /** Random123's kat_vectors for philox4x32 with 10 rounds: counter, key, expected output. */
    @Test
    void knownAnswers() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                Philox.block(0, 0, 0, 0, 0, 0));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                Philox.block(-1, -1, -1, -1, -1, -1));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    @Test
    void uniformsStayInsideTheOpenInterval() {
        assertEquals(0x1.0p-33, Philox.uniform(0));
        assertEquals(1 - 0x1.0p-33, Philox.uniform(-1));
        assertTrue(Philox.uniform(-1) < 1);
    }

    /** The mapping docs/md.md promises: key from the seed, counter (atom, step lo, step hi, stream). */
    @Test
    void mappingOfSeedStepAtomAndStream() {
        long seed = 0x0123456789ABCDEFL;
        long step = 0x0000000500000007L;
        double[] got = new double[3];
        Philox.gaussian3(seed, Philox.STREAM_LANGEVIN, step, 11, got, 0);
        int[] w = Philox.block(11, 7, 5, 0, 0x89ABCDEF, 0x01234567);
        double r0 = StrictMath.sqrt(-2 * StrictMath.log(Philox.uniform(w[0])));
        double r1 = StrictMath.sqrt(-2 * StrictMath.log(Philox.uniform(w[2])));
        assertEquals(r0 * StrictMath.cos(2 * Math.PI * Philox.uniform(w[1])), got[0]);
        assertEquals(r0 * StrictMath.sin(2 * Math.PI * Philox.uniform(w[1])), got[1]);
        assertEquals(r1 * StrictMath.cos(2 * Math.PI * Philox.uniform(w[3])), got[2]);

        double[] other = new double[3];
        Philox.gaussian3(seed, Philox.STREAM_VELOCITIES, step, 11, other, 0);
        assertNotEquals(got[0], other[0]);
        Philox.gaussian3(seed + 1, Philox.STREAM_LANGEVIN, step, 11, other, 0);
        assertNotEquals(got[0], other[0]);
    }

    @Test
    void normalsHaveUnitVarianceAndNoCorrelation() {
        int n = 200_000;
        double[] g = new double[3];
        double[] sum = new double[3];
        double[] sq = new double[3];
        double xy = 0;
        for (int i = 0; i < n; i++) {
            Philox.gaussian3(42, Philox.STREAM_LANGEVIN, i / 64, i % 64, g, 0);
            for (int k = 0; k < 3; k++) {
                sum[k] += g[k];
                sq[k] += g[k] * g[k];
            }
            xy += g[0] * g[1];
        }
        // Standard errors: 1/sqrt(n) ≈ 0.0022 for means and correlations, sqrt(2/n) ≈ 0.0032 for variances.
        for (int k = 0; k < 3; k++) {
            assertEquals(0, sum[k] / n, 0.012, "mean of component " + k);
            assertEquals(1, sq[k] / n, 0.016, "variance of component " + k);
        }
        assertEquals(0, xy / n, 0.012, "x-y correlation");
    }
}
