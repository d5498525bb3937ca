package org.painn4j.bench;

import java.util.Arrays;
import org.painn4j.calc.Calculator;
import org.painn4j.structure.Structure;

/**
 * Latency of one energy + forces call as a user sees it (host clock around compute(), results
 * unpacked), after a warm-up, over many repetitions.
 */
public final class Latency {
    private Latency() {
    }

    /** Percentiles in microseconds, and how many calls they summarize. */
    public record Stats(double median, double p10, double p90, double mean, int calls) {
    }

    /**
     * Warms up for at least warmupSeconds (and 10 calls), then times calls until both minCalls
     * are done and minSeconds have passed, or maxSeconds have passed.
     */
    public static Stats measure(Calculator calc, Structure s, double warmupSeconds, int minCalls,
                                double minSeconds, double maxSeconds) {
        return measure(() -> calc.compute(s), warmupSeconds, minCalls, minSeconds, maxSeconds);
    }

    /** The same for any call, e.g. one batched call of several structures. */
    public static Stats measure(Runnable call, double warmupSeconds, int minCalls, double minSeconds,
                                double maxSeconds) {
        long t0 = System.nanoTime();
        for (int i = 0; i < 10 || System.nanoTime() - t0 < warmupSeconds * 1e9; i++) {
            call.run();
        }
        long[] times = new long[Math.max(minCalls, 16)];
        int count = 0;
        long start = System.nanoTime();
        while (true) {
            long a = System.nanoTime();
            call.run();
            long b = System.nanoTime();
            if (count == times.length) {
                times = Arrays.copyOf(times, 2 * count);
            }
            times[count++] = b - a;
            double elapsed = (b - start) / 1e9;
            if ((count >= minCalls && elapsed >= minSeconds) || elapsed >= maxSeconds) {
                break;
            }
        }
        long[] sorted = Arrays.copyOf(times, count);
        Arrays.sort(sorted);
        double sum = 0;
        for (long t : sorted) {
            sum += t;
        }
        return new Stats(percentile(sorted, 0.5), percentile(sorted, 0.1), percentile(sorted, 0.9),
                sum / count / 1e3, count);
    }

    private static double percentile(long[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))] / 1e3;
    }
}
