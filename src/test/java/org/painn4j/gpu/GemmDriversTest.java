package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import jcuda.driver.CUstream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.painn4j.calc.Precision;

/**
 * The tiled GEMM drivers of dense.cuh (64×64 tiles, 128×64 and 32×32 pipelined tiles), each
 * forced on the same random product: every output the same bits from all three (a structure gets
 * the same bits alone and in a batch whichever tile its row count picks), and each the float64
 * sum rounded once to the precision (the products on the float64 tensor cores).
 */
@Tag("gpu")
class GemmDriversTest {
    private CudaContext cuda;
    private CUstream stream;

    @BeforeEach
    void setUp() {
        GpuTests.assumeGpu();
        cuda = CudaContext.shared();
        cuda.makeCurrent();
        stream = new CUstream();
    }

    /** One product: y [m][n] = x·Wᵀ + b forward, or gx [m][n] = gy·W backward (W [kd][n]). */
    private record Shape(boolean forward, int m, int n, int kd) {
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void everyTiledDriverGivesTheSameRoundedSums(Precision p) {
        // rows that fill no tile evenly; the widths of an F = 128 model and of the readout
        // and widths that are no multiples of 4 (the readout's one output; other models' widths),
        // which only the 64×64 tiles take (GemmKernel: the pipelined tiles need multiples of 4)
        Shape[] shapes = {new Shape(true, 300, 384, 128), new Shape(true, 1000, 128, 256),
            new Shape(false, 300, 128, 384), new Shape(false, 777, 256, 128), new Shape(true, 97, 64, 128),
            new Shape(true, 130, 1, 64), new Shape(true, 100, 30, 22), new Shape(false, 77, 13, 7)};
        SplittableRandom rnd = new SplittableRandom(11);
        for (Shape s : shapes) {
            double[] x = random(rnd, s.m * s.kd);
            double[] w = random(rnd, s.n * s.kd);
            double[] bias = random(rnd, s.n);
            double[] ref = new double[s.m * s.n];
            double[] bound = new double[s.m * s.n];
            // the inputs as the device holds them, summed in float64 (|Σ| bounds the rounding of the terms)
            double[] xs = stored(p, x);
            double[] ws = stored(p, w);
            double[] bs = stored(p, bias);
            for (int i = 0; i < s.m; i++) {
                for (int j = 0; j < s.n; j++) {
                    double sum = 0;
                    double abs = 0;
                    for (int k = 0; k < s.kd; k++) {
                        double wk = s.forward ? ws[j * s.kd + k] : ws[k * s.n + j];
                        sum += xs[i * s.kd + k] * wk;
                        abs += Math.abs(xs[i * s.kd + k] * wk);
                    }
                    double y = s.forward ? sum + bs[j] : sum;
                    ref[i * s.n + j] = y;
                    // float32: the sum rounded once, and the forward pass's bias added in float32
                    // (a second rounding); both: float64 sums, the device's and this one, in other orders
                    bound[i * s.n + j] = (p == Precision.FLOAT32 ? 0x1p-24 * (Math.abs(y) + Math.abs(sum)) : 0)
                            + 1e-13 * (abs + Math.abs(y));
                }
            }
            List<double[]> outputs = new ArrayList<>();
            boolean pipelined = s.n % 4 == 0 && s.kd % 4 == 0;
            GemmKernel.Driver[] drivers = pipelined
                    ? new GemmKernel.Driver[] {GemmKernel.Driver.TILES, GemmKernel.Driver.BIG, GemmKernel.Driver.MID}
                    : new GemmKernel.Driver[] {GemmKernel.Driver.TILES};
            for (GemmKernel.Driver d : drivers) {
                outputs.add(run(p, s, d, x, w, bias));
            }
            for (int d = 1; d < outputs.size(); d++) {
                assertArrayEquals(outputs.get(0), outputs.get(d), 0.0, s + ": driver " + d + " against the 64×64 tiles");
            }
            double[] y = outputs.get(0);
            for (int i = 0; i < y.length; i++) {
                double err = Math.abs(y[i] - ref[i]);
                int at = i;
                assertTrue(err <= bound[i], () -> s + " " + p + ": output " + at + " = " + y[at] + ", float64 sum "
                        + ref[at] + ", error " + err + " > " + bound[at]);
            }
        }
    }

    private double[] run(Precision p, Shape s, GemmKernel.Driver d, double[] x, double[] w, double[] bias) {
        String name = (s.forward ? "painn_dense_fwd" : "painn_dense_bwd")
                + (d == GemmKernel.Driver.BIG ? "_big_" : d == GemmKernel.Driver.MID ? "_mid_" : "_") + Real.suffix(p);
        Kernel k = new Kernel(cuda, "dense", name);
        try (DeviceBuffer dx = Real.upload(cuda, p, "x", x); DeviceBuffer dw = Real.upload(cuda, p, "w", w);
                DeviceBuffer db = Real.upload(cuda, p, "bias", bias);
                DeviceBuffer dy = new DeviceBuffer(cuda, "y", (long) s.m * s.n * Real.bytes(p))) {
            dy.fill32(Real.NAN_PATTERN, stream);
            Object[] args = s.forward ? new Object[] {s.m, s.n, s.kd, dx, 0, dw, db, null, dy, null, null}
                    : new Object[] {s.m, s.n, s.kd, dx, dw, null, null, dy};
            switch (d) {
                case BIG -> k.launch(stream, ceil(s.n, GemmKernel.BIG_COLUMNS), ceil(s.m, GemmKernel.BIG_ROWS),
                        GemmKernel.BIG_THREADS, args);
                case MID -> k.launch(stream, ceil(s.n, GemmKernel.MID_TILE), ceil(s.m, GemmKernel.MID_TILE),
                        GemmKernel.midThreads(p), args);
                default -> k.launch(stream, ceil(s.n, GemmKernel.TILE), ceil(s.m, GemmKernel.TILE), GemmKernel.THREADS,
                        args);
            }
            jcuda.driver.JCudaDriver.cuStreamSynchronize(stream);
            return Real.download(p, dy, s.m * s.n);
        }
    }

    private static double[] random(SplittableRandom rnd, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextDouble(-1, 1);
        }
        return v;
    }

    private static double[] stored(Precision p, double[] v) {
        double[] out = v.clone();
        if (p == Precision.FLOAT32) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) out[i];
            }
        }
        return out;
    }

    private static int ceil(int n, int d) {
        return (n + d - 1) / d;
    }
}
