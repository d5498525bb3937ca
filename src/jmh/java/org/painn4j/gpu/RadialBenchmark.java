package org.painn4j.gpu;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/** Edge geometry + radial basis, the forces and virial; and the binned neighbor list build. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class RadialBenchmark {

    @Benchmark
    public void forward(Workload w, Workload.Rates r) {
        GpuCalculator c = w.calc;
        c.radial.forward(c.stream, c.list, null, c.list.pos, w.n, w.k, 0, 5.0, c.weights.mu, c.weights.sigma, c.edges);
        w.sync();
        r.add((double) w.e * (20 + 48 + (6 + 2 * w.k) * w.t), (double) w.e * (30 + 12.0 * w.k));
    }

    /** ∂E/∂r, forces and virial from ∂E/∂d and ∂E/∂u. */
    @Benchmark
    public void forces(Workload w, Workload.Rates r) {
        GpuCalculator c = w.calc;
        c.radial.forces(c.stream, c.list, c.list.pos, w.n, c.edges, c.atoms.forces, c.atoms.forcePartial, c.atoms.virial);
        w.sync();
        r.add((double) w.e * (32 + 2 * 8 * w.t) + 48.0 * w.n, (double) w.e * 80);
    }

    @Benchmark
    public void neighborList(Workload w, Workload.Rates r) {
        neighborList(w, r, NeighborKernels.Search.BINNED);
    }

    /** The same list by all pairs (NeighborKernels.Search.PAIRS): N² distances, no bins. */
    @Benchmark
    public void neighborListPairs(Workload w, Workload.Rates r) {
        neighborList(w, r, NeighborKernels.Search.PAIRS);
    }

    private static void neighborList(Workload w, Workload.Rates r, NeighborKernels.Search search) {
        GpuCalculator c = w.calc;
        c.neighbors.build(c.stream, c.list, c.list.pos, w.n, 5.0, 1e-4, search, null, true);
        c.neighbors.reverse(c.stream, c.list, w.n, null);
        w.sync();
        r.add(24.0 * w.n + 20.0 * w.e, 0);
    }
}
