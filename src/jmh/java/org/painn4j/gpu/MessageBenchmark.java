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
 * The fused filter + message + aggregation kernels of layer 1. Bytes: the unique data each must
 * move (radial values, x and v of every atom, outputs); FLOPs: the filter (2·3F·K per edge) and
 * the message terms.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class MessageBenchmark {

    @Benchmark
    public void forward(Workload w, Workload.Rates r) {
        AtomBuffers a = w.calc.atoms;
        w.calc.message.forward(w.calc.stream, w.n, w.f, w.k, w.calc.list, w.calc.edges, w.calc.weights, 1,
                a.x[1], a.s[1], a.v[1], a.sMid[1], a.vMid[1]);
        w.sync();
        r.add((double) w.e * (w.k + 5) * w.t + (double) w.n * 14 * w.f * w.t + 4.0 * w.e,
                (double) w.e * (6.0 * w.f * w.k + 16.0 * w.f));
    }

    @Benchmark
    public void backwardEdge(Workload w, Workload.Rates r) {
        AtomBuffers a = w.calc.atoms;
        w.calc.message.backwardEdge(w.calc.stream, w.n, w.f, w.k, w.calc.list, w.calc.edges, w.calc.weights, 1,
                a.x[1], a.v[1], a.gsMid[1], a.gvMid[1]);
        w.sync();
        r.add((double) w.e * (2 * w.k + 12) * w.t + (double) w.n * 10 * w.f * w.t + 4.0 * w.e,
                (double) w.e * (12.0 * w.f * w.k + 30.0 * w.f));
    }

    @Benchmark
    public void backwardAtom(Workload w, Workload.Rates r) {
        AtomBuffers a = w.calc.atoms;
        w.calc.message.backwardAtom(w.calc.stream, w.n, w.f, w.k, w.calc.list, w.calc.edges, w.calc.weights, 1,
                a.x[1], a.v[1], a.gsMid[1], a.gvMid[1], a.gv[1], a.gx);
        w.sync();
        r.add((double) w.e * (w.k + 5) * w.t + (double) w.n * 17 * w.f * w.t + 4.0 * w.e,
                (double) w.e * (6.0 * w.f * w.k + 24.0 * w.f));
    }
}
