package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

/**
 * Times tile shapes of the large GEMM driver (dense.cuh's gemm_big) against each other on the
 * shapes of a large evaluation, from dense.cu compiled with other GEMM_BIG_* values:
 * {@code java org.painn4j.gpu.GemmVariantProbe NAME:BM:BN:THREADS:dense.NAME.ptx ...}. Every variant
 * must give the bits of the first (each output still sums over k in order); the probe counts the
 * outputs that differ. kernels/gemm-variants.sh builds the variants. Every backward shape is timed
 * with the silu' epilogue (a pre-activation), which the evaluation uses on some of them only.
 */
public final class GemmVariantProbe {
    private GemmVariantProbe() {
    }

    record Variant(String name, int bm, int bn, int threads, Kernel fwd, Kernel bwd) {
    }

    public static void main(String[] args) throws IOException {
        CudaContext cuda = CudaContext.shared();
        List<Variant> vs = new ArrayList<>();
        for (String a : args) {
            String[] p = a.split(":");
            CUmodule m = new CUmodule();
            cuModuleLoadData(m, Files.readString(Path.of(p[4]), StandardCharsets.UTF_8) + "\0");
            CUfunction f = new CUfunction();
            CUfunction b = new CUfunction();
            cuModuleGetFunction(f, m, "painn_dense_fwd_big_f32");
            cuModuleGetFunction(b, m, "painn_dense_bwd_big_f32");
            vs.add(new Variant(p[0], Integer.parseInt(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3]),
                    new Kernel("painn_dense_fwd_big_f32 " + p[0], f), new Kernel("painn_dense_bwd_big_f32 " + p[0], b)));
        }
        // {forward?, M, N, Kd}: the big GEMMs of a 16,384-atom evaluation (F = 128) and a 4,096-atom one
        int[][] shapes = {{1, 16384, 384, 128}, {1, 16384, 128, 128}, {1, 16384, 128, 256}, {0, 16384, 128, 384},
            {0, 16384, 256, 128}, {0, 49152, 128, 256}, {0, 16384, 128, 128}, {1, 4096, 384, 128}, {0, 4096, 128, 384}};
        CUstream s = new CUstream();
        CUevent e0 = new CUevent();
        CUevent e1 = new CUevent();
        cuEventCreate(e0, 0);
        cuEventCreate(e1, 0);
        SplittableRandom rnd = new SplittableRandom(7);
        double[][] us = new double[shapes.length][vs.size()];
        System.out.printf(Locale.ROOT, "%-26s", "shape (fwd/bwd M N Kd)");
        for (Variant v : vs) {
            System.out.printf(Locale.ROOT, " %14s", v.name + " " + v.bm + "x" + v.bn);
        }
        System.out.println("   differing outputs");
        for (int q = 0; q < shapes.length; q++) {
            boolean fwd = shapes[q][0] == 1;
            int m = shapes[q][1];
            int n = shapes[q][2];
            int kd = shapes[q][3];
            float[] x = random(rnd, (long) m * kd);
            float[] w = random(rnd, (long) n * kd);
            float[] bias = random(rnd, n);
            float[] pre = random(rnd, (long) m * n);
            try (DeviceBuffer dx = buffer(cuda, x); DeviceBuffer dw = buffer(cuda, w); DeviceBuffer db = buffer(cuda, bias);
                    DeviceBuffer dp = buffer(cuda, pre); DeviceBuffer dy = new DeviceBuffer(cuda, "y", 4L * m * n);
                    DeviceBuffer dya = new DeviceBuffer(cuda, "yAct", 4L * m * n)) {
                float[] first = null;
                StringBuilder diff = new StringBuilder();
                for (int v = 0; v < vs.size(); v++) {
                    Variant var = vs.get(v);
                    Object[] a = fwd ? new Object[] {m, n, kd, dx, 0, dw, db, null, dy, dya, null}
                            : new Object[] {m, n, kd, dx, dw, dp, null, dy};
                    Kernel f = fwd ? var.fwd : var.bwd;
                    int gx = (n + var.bn - 1) / var.bn;
                    int gy = (m + var.bm - 1) / var.bm;
                    dy.fill32(0x7fc00000, s);
                    for (int i = 0; i < 5; i++) {
                        f.launch(s, gx, gy, var.threads, a);
                    }
                    cuCtxSynchronize();
                    float best = Float.MAX_VALUE;
                    for (int r = 0; r < 5; r++) {
                        cuEventRecord(e0, s);
                        for (int i = 0; i < 20; i++) {
                            f.launch(s, gx, gy, var.threads, a);
                        }
                        cuEventRecord(e1, s);
                        cuEventSynchronize(e1);
                        float[] ms = {0};
                        cuEventElapsedTime(ms, e0, e1);
                        best = Math.min(best, ms[0]);
                    }
                    us[q][v] = best * 1000.0 / 20;
                    float[] y = new float[m * n];
                    dy.download(y);
                    if (first == null) {
                        first = y;
                    } else {
                        int d = 0;
                        for (int i = 0; i < y.length; i++) {
                            if (Float.floatToRawIntBits(y[i]) != Float.floatToRawIntBits(first[i])) {
                                d++;
                            }
                        }
                        diff.append(' ').append(d);
                    }
                }
                System.out.printf(Locale.ROOT, "%-26s", (fwd ? "fwd " : "bwd ") + m + " " + n + " " + kd);
                for (int v = 0; v < vs.size(); v++) {
                    double tflops = 2.0 * m * n * kd / (us[q][v] * 1e-6) / 1e12;
                    System.out.printf(Locale.ROOT, " %7.1f (%4.1f)", us[q][v], tflops);
                }
                System.out.println("  " + diff);
            }
        }
        System.out.printf(Locale.ROOT, "%-26s", "sum of the 16,384 rows");
        for (int v = 0; v < vs.size(); v++) {
            double t = 0;
            for (int q = 0; q < 7; q++) {
                t += us[q][v];
            }
            System.out.printf(Locale.ROOT, " %14.1f", t);
        }
        System.out.println();
    }

    private static float[] random(SplittableRandom rnd, long count) {
        float[] a = new float[(int) count];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    private static DeviceBuffer buffer(CudaContext cuda, float[] values) {
        DeviceBuffer b = new DeviceBuffer(cuda, "probe", 4L * values.length);
        b.upload(values);
        return b;
    }
}
