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
        }
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
