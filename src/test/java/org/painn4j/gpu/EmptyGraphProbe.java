package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import org.painn4j.bench.Clusters;
import org.painn4j.calc.Precision;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;

/**
 * The floor of an evaluation's graph: the same graph (every kernel node with its own grid, the
 * copies in and out), each kernel replaced by one that returns at once, timed as `bench` times a
 * call, beside the real graph. What is left between the two is the kernels' own work and
 * latency; the floor is what only fewer nodes can lower. Run on the GPU machine:
 * {@code java org.painn4j.gpu.EmptyGraphProbe [atoms...]}.
 */
public final class EmptyGraphProbe {
    private static final String EMPTY_PTX = ".version 8.0\n.target sm_80\n.address_size 64\n"
            + ".visible .entry painn_empty()\n{\n\tret;\n}\n";

    private EmptyGraphProbe() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {5, 21, 64} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        PainnModel model = PainnModel.load(Path.of("weights/painn-xtb-organic.safetensors"));
        for (int n : sizes) {
            Structure s = Clusters.random(n, 0.08, 1 + n);
            double real;
            try (GpuCalculator calc = new GpuCalculator(model, Precision.FLOAT32)) {
                real = median(calc, s);
            }
            try (GpuCalculator calc = new GpuCalculator(model, Precision.FLOAT32)) {
                calc.compute(s); // buffers sized and filled by the real kernels first
                int swapped = swapKernels(calc, empty());
                calc.setGraphs(true); // drops the graph of the real kernels: the next call captures the empty ones
                double floor = median(calc, s);
                System.out.printf(Locale.ROOT, "empty graph %4d atoms: real %.1f µs, %d kernels returning at once %.1f µs%n",
                        n, real, swapped, floor);
            }
        }
    }

    private static CUfunction empty() {
        CudaContext.shared().makeCurrent();
        CUmodule m = new CUmodule();
        cuModuleLoadData(m, (EMPTY_PTX + "\0").getBytes(StandardCharsets.US_ASCII));
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, m, "painn_empty");
        return f;
    }

    private static double median(GpuCalculator calc, Structure s) {
        for (int i = 0; i < 300; i++) {
            calc.compute(s);
        }
        double[] t = new double[1001];
        for (int i = 0; i < t.length; i++) {
            long a = System.nanoTime();
            calc.compute(s);
            t[i] = (System.nanoTime() - a) / 1e3;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    /** Points every Kernel reachable from the calculator at f; returns how many. */
    private static int swapKernels(Object root, CUfunction f) throws IllegalAccessException {
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        return swap(root, f, seen);
    }

    private static int swap(Object o, CUfunction f, Map<Object, Boolean> seen) throws IllegalAccessException {
        if (o == null || seen.put(o, true) != null) {
            return 0;
        }
        if (o instanceof Kernel k) {
            Field fn = fieldOf(Kernel.class, "function");
            fn.set(k, f);
            return 1;
        }
        if (!o.getClass().getName().startsWith("org.painn4j.gpu")) {
            return 0;
        }
        int count = 0;
        for (Class<?> c = o.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
                    continue;
                }
                field.setAccessible(true);
                count += swap(field.get(o), f, seen);
            }
        }
        return count;
    }

    private static Field fieldOf(Class<?> c, String name) {
        try {
            Field f = c.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException(e);
        }
    }
}
