package org.painn4j.gpu;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import org.painn4j.bench.Clusters;
import org.painn4j.calc.Precision;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;

/**
 * How much the order of the atoms costs: one benchmark cluster evaluated as generated (sites
 * numbered by distance from the centre) and with its atoms renumbered along space (bins of the
 * cutoff, lexicographic; Morton order of half-cutoff cells). Run on the GPU machine:
 * {@code java org.painn4j.gpu.OrderProbe [atoms...]}.
 */
public final class OrderProbe {
    private OrderProbe() {
    }

    public static void main(String[] args) {
        int[] sizes = args.length == 0 ? new int[] {1024, 16384} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        PainnModel model = PainnModel.load(Path.of("weights/painn-xtb-organic.safetensors"));
        try (GpuCalculator calc = new GpuCalculator(model, Precision.FLOAT32)) {
            for (int n : sizes) {
                Structure s = Clusters.random(n, 0.08, 1 + n);
                System.out.printf(Locale.ROOT, "order %6d atoms  as generated %9.1f µs%n", n, median(calc, s));
                System.out.printf(Locale.ROOT, "order %6d atoms  bins of 5 Å  %9.1f µs%n", n, median(calc, renumber(s, 5.0, false)));
                System.out.printf(Locale.ROOT, "order %6d atoms  Morton 2.5 Å %9.1f µs%n", n, median(calc, renumber(s, 2.5, true)));
            }
        }
    }

    private static double median(GpuCalculator calc, Structure s) {
        for (int i = 0; i < 20; i++) {
            calc.compute(s);
        }
        double[] t = new double[101];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            calc.compute(s);
            t[i] = (System.nanoTime() - t0) / 1e3;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    private static Structure renumber(Structure s, double cell, boolean morton) {
        int n = s.size();
        double[] lo = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                lo[c] = Math.min(lo[c], s.position(i, c));
            }
        }
        long[] key = new long[n];
        for (int i = 0; i < n; i++) {
            int[] b = new int[3];
            for (int c = 0; c < 3; c++) {
                b[c] = (int) ((s.position(i, c) - lo[c]) / cell);
            }
            if (morton) {
                long k = 0;
                for (int bit = 0; bit < 20; bit++) {
                    for (int c = 0; c < 3; c++) {
                        k |= (long) ((b[c] >> bit) & 1) << (3 * bit + c);
                    }
                }
                key[i] = k;
            } else {
                key[i] = ((long) b[2] << 40) | ((long) b[1] << 20) | b[0];
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingLong((Integer i) -> key[i]).thenComparingInt(i -> i));
        int[] z = new int[n];
        double[] pos = new double[3 * n];
        for (int a = 0; a < n; a++) {
            z[a] = s.number(order[a]);
            for (int c = 0; c < 3; c++) {
                pos[3 * a + c] = s.position(order[a], c);
            }
        }
        return Structure.molecule(z, pos);
    }
}
