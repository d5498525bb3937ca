package org.painn4j.gpu;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.painn4j.bench.Clusters;
import org.painn4j.calc.Precision;
import org.painn4j.md.Masses;
import org.painn4j.md.MaxwellBoltzmann;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;

/**
 * The GPU time of every kernel in one device-resident MD step, beside one evaluation of the same
 * structure: where a step costs more than an evaluation. Run on the GPU machine:
 * {@code java org.painn4j.gpu.MdStepProbe [atoms] [float32|float64]}.
 */
public final class MdStepProbe {
    private MdStepProbe() {
    }

    public static void main(String[] args) {
        int atoms = args.length > 0 ? Integer.parseInt(args[0]) : 16384;
        Precision p = args.length > 1 ? Precision.valueOf(args[1].toUpperCase(Locale.ROOT)) : Precision.FLOAT32;
        PainnModel model = PainnModel.load(Path.of("weights/painn-xtb-organic.safetensors"));
        Structure s = Clusters.random(atoms, 0.08, 1 + atoms);
        int reps = 10;
        try (GpuCalculator eval = new GpuCalculator(model, p)) {
            eval.compute(s);
            print("evaluation", atoms, p, reps, () -> eval.compute(s));
        }
        double[] masses = Masses.of(s.numbers());
        double[] momenta = MaxwellBoltzmann.momenta(masses, 300, 1);
        DeviceDynamics.Settings nve = new DeviceDynamics.Settings(false, 0.5 * 0.09822694788464063, 0, 0);
        try (GpuCalculator calc = new GpuCalculator(model, p);
             DeviceDynamics md = new DeviceDynamics(calc, List.of(new DeviceDynamics.Replica(s, masses, momenta, null, 0,
                     1)), 0, nve)) {
            md.advance(20);
            md.stepEagerly();
            print("md step", atoms, p, reps, md::stepEagerly);
            print("md step with a list rebuild", atoms, p, reps, () -> {
                md.forgetList();
                md.stepEagerly();
            });
            double[] e = new double[30];
            for (int i = 0; i < e.length; i++) {
                long t0 = System.nanoTime();
                md.stepEagerly();
                e[i] = (System.nanoTime() - t0) / 1e3;
            }
            System.out.println("# eager steps, µs: " + series(e));
            // graph replays one at a time: a bimodal spread would point at the steps that rebuild
            double[] t = new double[100];
            int c0 = md.captures, r0 = md.reruns;
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                md.advance(1);
                t[i] = (System.nanoTime() - t0) / 1e3;
            }
            System.out.println("# graph steps, µs: " + series(java.util.Arrays.copyOf(t, 30)));
            System.out.printf(Locale.ROOT, "# over 100 single graph steps: %d captures, %d blocks run again%n",
                    md.captures - c0, md.reruns - r0);
            double mean = java.util.Arrays.stream(t).average().orElse(0);
            java.util.Arrays.sort(t);
            System.out.printf(Locale.ROOT, "# single graph steps: min %.1f, median %.1f, p90 %.1f, max %.1f, mean %.1f µs%n",
                    t[0], t[50], t[90], t[99], mean);
            print("md step, later", atoms, p, 3, md::stepEagerly);
            spread(md.state(0).positions(), md.step());
            for (int chunk : new int[] {10, 50}) {
                int c1 = md.captures, r1 = md.reruns;
                long t0 = System.nanoTime();
                md.advance(chunk);
                md.advance(chunk);
                System.out.printf(Locale.ROOT, "# blocks of %d graph steps: %.1f µs per step (%d captures, %d run again)%n",
                        chunk, (System.nanoTime() - t0) / 1e3 / (2 * chunk), md.captures - c1, md.reruns - r1);
            }
        }
    }

    /** Where the atoms are: quantiles of each coordinate and of the distance from the median point. */
    private static void spread(double[] x, long step) {
        int n = x.length / 3;
        double[] q = {0, 0.001, 0.01, 0.05, 0.5, 0.95, 0.99, 0.999, 1};
        double[] mid = new double[3];
        for (int c = 0; c < 3; c++) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = x[3 * i + c];
            }
            java.util.Arrays.sort(v);
            mid[c] = v[n / 2];
            StringBuilder b = new StringBuilder();
            for (double f : q) {
                b.append(String.format(Locale.ROOT, " %.4g", v[(int) Math.min(n - 1, f * n)]));
            }
            System.out.println("# step " + step + ", axis " + "xyz".charAt(c) + " quantiles" + b);
        }
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            double dx = x[3 * i] - mid[0], dy = x[3 * i + 1] - mid[1], dz = x[3 * i + 2] - mid[2];
            r[i] = Math.sqrt(dx * dx + dy * dy + dz * dz);
        }
        java.util.Arrays.sort(r);
        StringBuilder b = new StringBuilder();
        for (double f : q) {
            b.append(String.format(Locale.ROOT, " %.4g", r[(int) Math.min(n - 1, f * n)]));
        }
        System.out.println("# step " + step + ", distance from the median point, quantiles" + b);
    }

    private static String series(double[] t) {
        StringBuilder b = new StringBuilder();
        for (double x : t) {
            b.append(String.format(Locale.ROOT, " %.0f", x));
        }
        return b.toString();
    }

    private static void print(String what, int atoms, Precision p, int reps, Runnable once) {
        Profiler prof = new Profiler().activate();
        try {
            for (int i = 0; i < reps; i++) {
                once.run();
            }
        } finally {
            prof.deactivate();
        }
        double total = 0;
        System.out.printf(Locale.ROOT, "# %s, %d atoms, %s, GPU time per call (CUDA events):%n", what, atoms, p.label());
        for (Profiler.Entry e : prof.entries()) {
            double us = e.millis() * 1e3 / reps;
            total += us;
            System.out.printf(Locale.ROOT, "  %-15s %-36s %3d× %10.1f µs%n", e.phase(), e.kernel(), e.launches() / reps, us);
        }
        System.out.printf(Locale.ROOT, "  %-52s %10.1f µs%n", "total", total);
    }
}
