package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
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
 * latency; the floor is what only fewer nodes can lower. Three more stand-ins tell parts of that
 * work apart: every block loading and storing one word the kernel before it stored (one
 * dependent round trip to L2 per kernel), and every thread running about 1,500 instructions of
 * arithmetic without memory (about 24 KB of machine code), either the same code in every node
 * (held in the multiprocessors' instruction caches after the first) or different code in each
 * (fetched anew by each node, as the real kernels are). Run on the GPU machine:
 * {@code java org.painn4j.gpu.EmptyGraphProbe [atoms...]}.
 */
public final class EmptyGraphProbe {
    private static final String EMPTY_PTX = ".version 8.0\n.target sm_80\n.address_size 64\n"
            + ".visible .entry painn_empty()\n{\n\tret;\n}\n";

    /** Instructions of each arithmetic stand-in, and how many different ones there are. */
    private static final int CODE_INSTRUCTIONS = 1500;
    private static final int CODE_KERNELS = 64;

    private EmptyGraphProbe() {
    }

    /**
     * painn_hop: each block's thread 0 loads the word the previous kernel stored and stores it
     * plus one; painn_code_i: eight independent chains of multiply-adds with constants of their
     * own (so that neither the assembler folds them nor two kernels share code), their sum stored
     * only where it equals a constant it practically never equals (so that the chains must run
     * before the kernel can return).
     */
    private static String standInPtx() {
        StringBuilder b = new StringBuilder(".version 8.0\n.target sm_80\n.address_size 64\n");
        b.append(".global .align 4 .u32 hop_word;\n");
        b.append(".visible .entry painn_hop()\n{\n\t.reg .u32 %r<3>;\n\t.reg .pred %p;\n")
                .append("\tmov.u32 %r0, %tid.x;\n\tsetp.ne.u32 %p, %r0, 0;\n\t@%p ret;\n")
                .append("\tld.global.cg.u32 %r1, [hop_word];\n\tadd.u32 %r2, %r1, 1;\n")
                .append("\tst.global.u32 [hop_word], %r2;\n\tret;\n}\n");
        for (int k = 0; k < CODE_KERNELS; k++) {
            b.append(".visible .entry painn_code_").append(k).append("()\n{\n\t.reg .u32 %r<9>;\n\t.reg .pred %p;\n")
                    .append("\tmov.u32 %r8, %tid.x;\n");
            for (int c = 0; c < 8; c++) {
                b.append("\tadd.u32 %r").append(c).append(", %r8, ").append(c + 1).append(";\n");
            }
            for (int i = 0; i < CODE_INSTRUCTIONS; i++) {
                int c = i % 8;
                b.append("\tmad.lo.u32 %r").append(c).append(", %r").append(c).append(", %r").append(c).append(", ")
                        .append(1_000_003 * k + 7 * i + 1).append(";\n");
            }
            for (int c = 1; c < 8; c++) {
                b.append("\tadd.u32 %r0, %r0, %r").append(c).append(";\n");
            }
            b.append("\tsetp.ne.u32 %p, %r0, 123456789;\n\t@%p ret;\n")
                    .append("\tst.global.u32 [hop_word], %r0;\n\tret;\n}\n");
        }
        return b.toString();
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
                CUmodule m = new CUmodule();
                cuModuleLoadData(m, (standInPtx() + "\0").getBytes(StandardCharsets.US_ASCII));
                CUfunction[] code = new CUfunction[CODE_KERNELS];
                for (int k = 0; k < CODE_KERNELS; k++) {
                    code[k] = new CUfunction();
                    cuModuleGetFunction(code[k], m, "painn_code_" + k);
                }
                CUfunction hop = new CUfunction();
                cuModuleGetFunction(hop, m, "painn_hop");
                swapKernels(calc, hop);
                calc.setGraphs(true);
                double hops = median(calc, s);
                swapKernels(calc, code[0]);
                calc.setGraphs(true);
                double same = median(calc, s);
                int distinct = swapEach(calc, code);
                calc.setGraphs(true);
                double each = median(calc, s);
                System.out.printf(Locale.ROOT, "stand-ins  %4d atoms: one dependent L2 round trip per kernel %.1f µs; "
                        + "%d instructions per thread, the same code in every node %.1f µs, different code in each of "
                        + "%d kernels %.1f µs%n", n, hops, CODE_INSTRUCTIONS, same, distinct, each);
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

    /** Points the i-th Kernel reachable from the calculator at fs[i % fs.length]; returns how many. */
    private static int swapEach(Object root, CUfunction[] fs) throws IllegalAccessException {
        List<Kernel> kernels = new ArrayList<>();
        collect(root, kernels, new IdentityHashMap<>());
        Field fn = fieldOf(Kernel.class, "function");
        for (int i = 0; i < kernels.size(); i++) {
            fn.set(kernels.get(i), fs[i % fs.length]);
        }
        return kernels.size();
    }

    private static void collect(Object o, List<Kernel> out, Map<Object, Boolean> seen) throws IllegalAccessException {
        if (o == null || seen.put(o, true) != null) {
            return;
        }
        if (o instanceof Kernel k) {
            out.add(k);
            return;
        }
        if (!o.getClass().getName().startsWith("org.painn4j.gpu")) {
            return;
        }
        for (Class<?> c = o.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (!Modifier.isStatic(field.getModifiers()) && !field.getType().isPrimitive()) {
                    field.setAccessible(true);
                    collect(field.get(o), out, seen);
                }
            }
        }
    }

    /** Points every Kernel reachable from the calculator at f; returns how many. */
    private static int swapKernels(Object root, CUfunction f) throws IllegalAccessException {
        return swapEach(root, new CUfunction[] {f});
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
