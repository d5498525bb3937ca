package org.painn4j.cpu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.painn4j.bench.Clusters;
import org.painn4j.calc.Result;
import org.painn4j.model.Dense;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;

/**
 * The float64 CPU engine (the reference, and the engine of `md` without a GPU): one whole
 * evaluation of a random cluster at 0.08 atoms/Å³ with the shipped model's shape (F = 128,
 * L = 3, K = 20), on one thread and on every core, and its two busiest stages alone, the dense
 * layers and the filter. No GPU needed: {@code java org.openjdk.jmh.Main org.painn4j.cpu.CpuBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class CpuBenchmark {
    @Param({"9", "21", "256"})
    public int atoms;

    /** Threads of the engine; 0: every core (the common fork-join pool). */
    @Param({"1", "0"})
    public int threads;

    private CpuCalculator calc;
    private Structure structure;
    private Dense mix;
    private double[] rows;
    private double[] rowsAdjoint;
    private PainnModel model;
    private Radial.Edges edges;
    private double[] w;
    private double[] gPhi;
    private double[] gFc;

    @Setup(Level.Trial)
    public void setUp() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("weights/painn-test-random.safetensors"))) {
            dir = dir.getParent();
        }
        model = PainnModel.load(dir.resolve("weights/painn-test-random.safetensors"));
        calc = threads == 0 ? new CpuCalculator(model) : new CpuCalculator(model, threads);
        structure = Clusters.random(atoms, 0.08, atoms);
        // the channel mix F → 2F over the 3N rows of the vector features: the largest dense layer
        mix = model.channelMix[0];
        Random rnd = new Random(1);
        rows = gaussians(rnd, 3 * atoms * mix.in());
        rowsAdjoint = gaussians(rnd, 3 * atoms * mix.out());
        int k = model.config.nRbf();
        double[] phi = gaussians(rnd, k);
        edges = new Radial.Edges(1, k, new double[] {1}, new double[] {1, 0, 0}, phi, new double[k],
                new double[] {0.7}, new double[1]);
        w = gaussians(rnd, 3 * model.config.nAtomBasis());
        gPhi = new double[k];
        gFc = new double[1];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        calc.close();
    }

    private static double[] gaussians(Random rnd, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextGaussian();
        }
        return v;
    }

    @Benchmark
    public Result evaluation() {
        return calc.compute(structure);
    }

    @Benchmark
    public double[] channelMixForward() {
        return DenseOps.forward(mix, rows, 3 * atoms);
    }

    @Benchmark
    public double[] channelMixAdjoint() {
        return DenseOps.backward(mix, rowsAdjoint, 3 * atoms);
    }

    /** One edge's filter of one layer, forward and adjoint. */
    @Benchmark
    public void filterEdge(Blackhole bh) {
        Filter.forward(model, 1, edges, 0, w);
        Filter.backward(model, 1, edges, 0, w, gPhi, gFc);
        bh.consume(w);
        bh.consume(gPhi);
    }
}
