package org.painn4j.gpu;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Layer 0 by elements (element.cu): the radial sums P, Q and the backward edge pass. Bytes: the
 * unique data each must move (radial values and edge scalars, neighbor indices and element
 * slots, the sums or their adjoints); FLOPs: 9 per (edge, column) forward (fc·φ̃ and four
 * sums), 18 backward. The four GEMMs around them are DenseBenchmark's kind of product.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ElementBenchmark {

    @Benchmark
    public void sums(Workload w, Workload.Rates r) {
        int count = elements(w);
        int width = ElementKernels.width(count, w.k);
        w.calc.element.sums(w.calc.stream, w.n, w.k, count, w.calc.list, w.calc.edges, w.calc.elementBuffers());
        w.sync();
        r.add((double) w.e * (w.k + 4) * w.t + 8.0 * w.e + 4.0 * w.n * width * w.t,
                9.0 * w.e * (w.k + 1));
    }

    @Benchmark
    public void backward(Workload w, Workload.Rates r) {
        int count = elements(w);
        int width = ElementKernels.width(count, w.k);
        w.calc.element.backward(w.calc.stream, w.n, w.k, count, w.calc.list, w.calc.edges, w.calc.elementBuffers(),
                false);
        w.sync();
        r.add((double) w.e * (2 * w.k + 9) * w.t + 12.0 * w.e + 4.0 * w.n * width * w.t,
                18.0 * w.e * (w.k + 1));
    }

    private static int elements(Workload w) {
        int count = w.calc.lastElements();
        if (count == 0) {
            throw new IllegalStateException(w.n + " atoms did not take layer 0 by elements");
        }
        return count;
    }
}
