package org.painn4j.gpu;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.painn4j.bench.Clusters;
import org.painn4j.calc.Precision;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;

/**
 * Where the one-kernel evaluation spends its time: block 0's clock at every phase boundary
 * (fused.cu's mark()), median over many calls, in cycles and in µs at the SM clock the device
 * reports (cycles only where the driver reports a clock rate of 0), and a checksum of the result's
 * bits, so that two builds of the kernel can be compared. The 29 "dense" lines are block 0's clock
 * inside the first dense phases; a build with {@code -DFUSED_PROBE_MESSAGE=1} records the message
 * phases' steps there instead (forward: staging issued, chunk landed, filters, edge loop, stores;
 * backward adds the per-edge shares before the edge loop; name them with a third argument,
 * {@code message}). Run on the GPU machine:
 * {@code java org.painn4j.gpu.FusedPhaseProbe [atoms] [float32|float64] [message]}.
 */
public final class FusedPhaseProbe {
    private FusedPhaseProbe() {
    }

    static String[] names(int layers) {
        java.util.List<String> n = new java.util.ArrayList<>();
        n.add("radial");
        for (int l = 0; l < layers; l++) {
            if (l > 0) {
                n.add("h" + l);
                n.add("x+message" + l);
            } else {
                n.add("message0");
            }
            n.add("VU+norm" + l);
            n.add("mixing g" + l);
            n.add("mixing pqr+update" + l);
        }
        n.add("readout hidden");
        for (int l = layers - 1; l >= 0; l--) {
            n.add(l == layers - 1 ? "energy+s̄L+prep" + l : "s̄" + (l + 1) + "+prep" + l);
            n.add("ḡ" + l);
            n.add("ctx̄" + l);
            n.add("v̄'+message bwd" + l);
            if (l > 0) {
                n.add("h̄" + l);
            }
        }
        n.add("forces");
        return n.toArray(new String[0]);
    }

    /**
     * Names of the 29 clock differences inside phases: the first dense phases' steps, or with
     * {@code message} (a -DFUSED_PROBE_MESSAGE=1 build) the message phases' steps, forward
     * layers first, each followed by the time to the next message phase.
     */
    static String[] subSteps(boolean message, int layers) {
        java.util.List<String> n = new java.util.ArrayList<>();
        if (!message) {
            String[] steps = {"weights, inputs", "products", "sums+epilogue", "(to next)"};
            for (int q = 0; q < 29; q++) {
                n.add("dense " + q / 4 + " " + steps[q % 4]);
            }
        } else {
            String[] fwd = {"staging landed", "filter", "edge loop", "stores"};
            String[] bwd = {"staging landed", "filter, derivative", "per-edge shares", "sums, gathers", "stores"};
            for (int l = 0; l < layers; l++) {
                for (String st : fwd) {
                    n.add("message" + l + " " + st);
                }
                n.add("(to the next message)");
            }
            for (int l = layers - 1; l >= 0; l--) {
                for (String st : bwd) {
                    n.add("message bwd" + l + " " + st);
                }
                n.add("(to the next message)");
            }
        }
        while (n.size() < 29) {
            n.add("-");
        }
        return n.subList(0, 29).toArray(new String[0]);
    }

    public static void main(String[] args) {
        int atoms = args.length > 0 ? Integer.parseInt(args[0]) : 21;
        Precision p = args.length > 1 ? Precision.valueOf(args[1].toUpperCase(Locale.ROOT)) : Precision.FLOAT32;
        boolean message = args.length > 2 && args[2].equals("message");
        PainnModel model = PainnModel.load(Path.of("weights/painn-xtb-organic.safetensors"));
        Structure s = Clusters.random(atoms, 0.08, 1 + atoms);
        int[] clock = {0};
        jcuda.driver.JCudaDriver.cuDeviceGetAttribute(clock, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE,
                deviceZero());
        double mhz = clock[0] / 1000.0;
        try (GpuCalculator gpu = new GpuCalculator(model, p)) {
            gpu.setFused(true);
            if (!gpu.fusedFor(atoms)) {
                System.out.println("no one-kernel path for " + atoms + " atoms here");
                return;
            }
            for (int i = 0; i < 50; i++) {
                gpu.compute(s);
            }
            String[] names = names(model.config.nInteractions());
            int calls = 101;
            long[][] d = new long[names.length + 1][calls];
            long[][] sub = new long[29][calls];
            for (int c = 0; c < calls; c++) {
                gpu.compute(s);
                long[] m = gpu.fusedMarks();
                for (int q = 0; q < names.length; q++) {
                    d[q][c] = m[q + 1] - m[q];
                }
                d[names.length][c] = m[names.length] - m[0];
                for (int q = 0; q < 29; q++) {
                    sub[q][c] = m[34 + q + 1] - m[34 + q];
                }
            }
            System.out.printf(Locale.ROOT, "# %d atoms, %s, SM clock %.0f MHz (reported maximum); median of %d calls%n",
                    atoms, p.label(), mhz, calls);
            // the bits of the result, so that two builds of the kernel can be compared run to run
            var r = gpu.compute(s);
            System.out.printf(Locale.ROOT, "# result bits: energy %016x, forces %08x%n", Double.doubleToLongBits(r.energy()),
                    Arrays.hashCode(r.forces()));
            for (int q = 0; q <= names.length; q++) {
                long[] v = d[q].clone();
                Arrays.sort(v);
                long med = v[calls / 2];
                String name = q < names.length ? names[q] : "kernel total";
                if (mhz > 0) {
                    System.out.printf(Locale.ROOT, "%-22s %9d cycles %8.2f µs%n", name, med, med / mhz);
                } else {  // some drivers report a clock rate of 0
                    System.out.printf(Locale.ROOT, "%-22s %9d cycles%n", name, med);
                }
            }
            String[] steps = subSteps(message, model.config.nInteractions());
            for (int q = 0; q < 29; q++) {
                long[] v = sub[q].clone();
                Arrays.sort(v);
                System.out.printf(Locale.ROOT, "%-26s %9d cycles%n", steps[q], v[calls / 2]);
            }
        }
    }

    private static jcuda.driver.CUdevice deviceZero() {
        jcuda.driver.CUdevice dev = new jcuda.driver.CUdevice();
        jcuda.driver.JCudaDriver.cuDeviceGet(dev, 0);
        return dev;
    }
}
