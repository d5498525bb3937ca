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
 * The tiled GEMM of the largest atom-wise layer, Dense₂ of the context net (F → 3F, silu on
 * load), forward and backward (with silu'): 2·N·F·3F FLOPs, (N·F + 3F·F + 3N·F)·T bytes.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class DenseBenchmark {

    @Benchmark
    public void forward(Workload w, Workload.Rates r) {
        AtomBuffers a = w.calc.atoms;
        w.calc.dense.forward(w.calc.stream, w.n, 3 * w.f, w.f, a.hidden[0], false, w.calc.weights.c2w[1],
                w.calc.weights.c2b[1], null, a.x[1], null);
        w.sync();
        r.add(((double) w.n * w.f + 3.0 * w.f * w.f + 3.0 * w.n * w.f) * w.t, 6.0 * w.n * w.f * w.f);
    }

    @Benchmark
    public void backward(Workload w, Workload.Rates r) {
        AtomBuffers a = w.calc.atoms;
        w.calc.dense.backward(w.calc.stream, w.n, w.f, 3 * w.f, a.gx, w.calc.weights.c2w[1], a.hPre[1], null, a.gh);
        w.sync();
        r.add((3.0 * w.n * w.f + 3.0 * w.f * w.f + 2.0 * w.n * w.f) * w.t, 6.0 * w.n * w.f * w.f);
    }
}
