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
 * move (radial values, x and v of every atom, outputs); FLOPs: the filter (2·3F·K per edge, and
 * its derivative in the backward pass) and the message terms.
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
        w.calc.message.forward(w.calc.stream, w.n, w.n, w.f, w.k, w.calc.list, w.calc.edges, w.calc.weights, 1,
                a.x[1], null, a.s[1], null, a.v[1], a.sMid[1], a.vMid[1]);
        w.sync();
        r.add((double) w.e * (w.k + 5) * w.t + (double) w.n * 14 * w.f * w.t + 4.0 * w.e,
                (double) w.e * (6.0 * w.f * w.k + 16.0 * w.f));
    }

    /**
     * The same forward pass by message_tiled.cu's kernel (the filter on the tensor cores; opt-in,
     * Hopper with F = 128 and 17 ≤ K ≤ 20 only: elsewhere this benchmark fails rather than time
     * message.cu's kernel under its name).
     */
    @Benchmark
    public void forwardTiled(Workload w, Workload.Rates r) {
        if (!w.calc.message.useTiled(true)) {
            throw new IllegalStateException("no tiled message kernel on this device or model (Hopper, F = 128, 17 <= K <= 20)");
        }
        try {
            forward(w, r);
        } finally {
            w.calc.message.useTiled(false);
        }
    }

    /** The whole backward pass of layer 1: per-edge ∂E/∂d, ∂E/∂u and per-atom ∂E/∂v, ∂E/∂x. */
    @Benchmark
    public void backward(Workload w, Workload.Rates r) {
        AtomBuffers a = w.calc.atoms;
        w.calc.message.backward(w.calc.stream, w.n, w.n, w.f, w.k, w.calc.list, w.calc.edges, w.calc.weights, 1,
                a.x[1], null, a.v[1], a.gsMid[1], a.gvMid[1], false, true, a.gv[1], a.gx);
        w.sync();
        r.add((double) w.e * (2 * w.k + 8) * w.t + (double) w.n * 20 * w.f * w.t + 4.0 * w.e,
                (double) w.e * (12.0 * w.f * w.k + 50.0 * w.f));
    }
}
