package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.painn4j.bench.Clusters;
import org.painn4j.calc.Precision;
import org.painn4j.model.PainnModel;

/**
 * What every kernel microbenchmark runs on: the shipped model (F=128, L=3, K=20) on a random
 * cluster at 0.08 atoms/Å³, evaluated once so that every buffer holds real values; the
 * benchmarks then launch one kernel at a time on those buffers and wait for it.
 */
@State(Scope.Benchmark)
public class Workload {
    @Param({"1024", "16384"})
    public int atoms;

    @Param({"float32", "float64"})
    public String precision;

    GpuCalculator calc;
    int n;
    int e;
    int f;
    int k;
    int t;

    @Setup(Level.Trial)
    public void setUp() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("weights/painn-test-random.safetensors"))) {
            dir = dir.getParent();
        }
        PainnModel model = PainnModel.load(dir.resolve("weights/painn-test-random.safetensors"));
        Precision p = precision.equals("float32") ? Precision.FLOAT32 : Precision.FLOAT64;
        calc = new GpuCalculator(model, p);
        calc.setGraphs(false);
        calc.compute(Clusters.random(atoms, 0.08, atoms));
        n = atoms;
        e = calc.lastEdges;
        f = model.config.nAtomBasis();
        k = model.config.nRbf();
        t = Real.bytes(p);
    }

    void sync() {
        cuStreamSynchronize(calc.stream);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        calc.close();
    }

    /** Bytes and floating-point operations per call, reported by JMH as rates (B/s, FLOP/s). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double bytes;
        public double flops;

        void add(double b, double fl) {
            bytes += b;
            flops += fl;
        }
    }
}
