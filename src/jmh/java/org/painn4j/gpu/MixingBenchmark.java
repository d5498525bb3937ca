package org.painn4j.gpu;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/** The mixing block's fused kernels of layer 1: the update GEMM and the element-wise parts. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class MixingBenchmark {

    @Benchmark
    public void normForward(Workload w, Workload.Rates r) {
        AtomBuffers a = w.calc.atoms;
        w.calc.mixing.normForward(w.calc.stream, w.n, w.f, 1e-8, a.sMid[1], a.vu[1], a.ctx, a.norm[1], a.dot[1]);
        w.sync();
        r.add((double) w.n * w.f * (1 + 6 + 2 + 2) * w.t, (double) w.n * w.f * 14);
    }

    @Benchmark
    public void updateForward(Workload w, Workload.Rates r) {
        AtomBuffers a = w.calc.atoms;
        DeviceModel m = w.calc.weights;
        w.calc.mixing.updateForward(w.calc.stream, w.n, false, w.f, a.hidden[0], m.m2w[1], m.m2b[1], a.dot[1], a.vu[1],
                a.sMid[1], a.vMid[1], a.y[1], a.s[2], a.v[2]);
        w.sync();
        r.add(((double) w.n * w.f * (1 + 1 + 3 + 1 + 3 + 3 + 1 + 3) + 3.0 * w.f * w.f) * w.t, 6.0 * w.n * w.f * w.f);
    }

    @Benchmark
    public void prepBackward(Workload w, Workload.Rates r) {
        AtomBuffers a = w.calc.atoms;
        w.calc.mixing.prepBackward(w.calc.stream, w.n, w.f, a.gs[2], a.gv[2], a.y[1], a.vu[1], a.dot[1], a.gy, a.gvu);
        w.sync();
        r.add((double) w.n * w.f * (1 + 3 + 3 + 6 + 1 + 3 + 6) * w.t, (double) w.n * w.f * 20);
    }
}
