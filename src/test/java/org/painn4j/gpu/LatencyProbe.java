package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.Arrays;
import org.painn4j.bench.Clusters;
import org.painn4j.calc.Precision;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;

/**
 * Where the time of one small evaluation goes: the whole call, the graph launch + synchronize
 * alone, and back-to-back graph launches (the GPU's own time per evaluation). A diagnostic
 * main, run on the GPU machine: LatencyProbe [atoms...]
 */
public final class LatencyProbe {
    public static void main(String[] args) throws Exception {
        PainnModel model = PainnModel.load(Path.of("weights/painn-test-random.safetensors"));
        int[] sizes = args.length == 0 ? new int[] {21, 1024} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (int n : sizes) {
            Structure s = Clusters.random(n, 0.08, n);
            try (GpuCalculator calc = new GpuCalculator(model, Precision.FLOAT32)) {
                for (int i = 0; i < 200; i++) {
                    calc.compute(s);
                }
                Field f = GpuCalculator.class.getDeclaredField("graph");
                f.setAccessible(true);
                jcuda.driver.CUgraphExec graph = (jcuda.driver.CUgraphExec) f.get(calc);
                int reps = 1000;
                long[] call = new long[reps];
                long[] launchSync = new long[reps];
                for (int i = 0; i < reps; i++) {
                    long a = System.nanoTime();
                    calc.compute(s);
                    call[i] = System.nanoTime() - a;
                }
                for (int i = 0; i < reps; i++) {
                    long a = System.nanoTime();
                    cuGraphLaunch(graph, calc.stream);
                    cuStreamSynchronize(calc.stream);
                    launchSync[i] = System.nanoTime() - a;
                }
                long a = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    cuGraphLaunch(graph, calc.stream);
                }
                cuStreamSynchronize(calc.stream);
                double backToBack = (System.nanoTime() - a) / 1e3 / reps;
                Arrays.sort(call);
                Arrays.sort(launchSync);
                System.out.printf("probe n=%d: compute() median %.1f µs; graph launch+sync median %.1f µs; "
                        + "back-to-back graphs %.1f µs each%n", n, call[reps / 2] / 1e3, launchSync[reps / 2] / 1e3, backToBack);
            }
        }
    }
}
