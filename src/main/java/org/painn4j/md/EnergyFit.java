package org.painn4j.md;

import java.util.Arrays;

/**
 * Least-squares line through (time, total energy) samples: the slope is the drift, the scatter
 * around the line the fluctuation. Kept separate from the time integration so tests and the
 * run summary measure conservation the same way.
 */
public final class EnergyFit {
    private double[] t = new double[64];
    private double[] e = new double[64];
    private int n;

    /** One sample: time in ps, total energy in eV. */
    public void add(double timePs, double energy) {
        if (n == t.length) {
            t = Arrays.copyOf(t, 2 * n);
            e = Arrays.copyOf(e, 2 * n);
        }
        t[n] = timePs;
        e[n] = energy;
        n++;
    }

    public int count() {
        return n;
    }

    /** dE/dt of the fitted line in eV/ps; NaN with fewer than two samples. */
    public double slope() {
        if (n < 2) {
            return Double.NaN;
        }
        double mt = mean(t);
        double me = mean(e);
        double stt = 0;
        double ste = 0;
        for (int i = 0; i < n; i++) {
            stt += (t[i] - mt) * (t[i] - mt);
            ste += (t[i] - mt) * (e[i] - me);
        }
        return stt == 0 ? Double.NaN : ste / stt;
    }

    /** Root-mean-square deviation of the samples from the fitted line, eV. */
    public double fluctuation() {
        if (n < 2) {
            return Double.NaN;
        }
        double b = slope();
        double mt = mean(t);
        double me = mean(e);
        double s = 0;
        for (int i = 0; i < n; i++) {
            double r = e[i] - (me + b * (t[i] - mt));
            s += r * r;
        }
        return Math.sqrt(s / n);
    }

    /** Largest |E − E(first sample)|, eV. */
    public double maxDeviation() {
        double m = 0;
        for (int i = 1; i < n; i++) {
            m = Math.max(m, Math.abs(e[i] - e[0]));
        }
        return m;
    }

    private double mean(double[] v) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += v[i];
        }
        return s / n;
    }
}
