package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.painn4j.gpu.GpuTests.assertClose;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.painn4j.calc.Precision;
import org.painn4j.cpu.ElementMessage;
import org.painn4j.cpu.Message;
import org.painn4j.cpu.Mixing;
import org.painn4j.cpu.Radial;
import org.painn4j.cpu.Readout;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.NeighborList;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomModels;
import org.painn4j.testing.RandomStructures;

/**
 * Every GPU kernel pair against its CPU twin, tensor by tensor: each CPU stage runs on the
 * inputs the GPU stage got (downloaded), so a mismatch points at one stage and does not
 * cascade. Inputs are random structures and random weights; outputs poisoned before each run.
 * float64 must agree to 1e-10 relative, float32 to 1e-5. Both paths are checked: kernel by
 * kernel, and the one-kernel evaluation of small structures (fused.cu, where the device has it).
 */
@Tag("gpu")
class KernelPairsTest {
    private static final Map<String, Double> WORST = new TreeMap<>();

    @BeforeAll
    static void gpu() {
        GpuTests.assumeGpu();
    }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (String path : new String[] {"kernels", "fused"}) {
            for (Precision p : Precision.values()) {
                list.add(Arguments.of(path, p, "gaussian F=128 K=20", "cluster-64", RandomStructures.cluster(64, 0.08, 1)));
                list.add(Arguments.of(path, p, "gaussian F=128 K=20", "triclinic", RandomStructures.periodic(24,
                        new double[] {6.1, 0, 0, 1.3, 5.9, 0, -0.8, 0.9, 6.4}, new boolean[] {true, true, true}, 2)));
                list.add(Arguments.of(path, p, "bessel-shared F=24 K=12", "slab", RandomStructures.periodic(20,
                        new double[] {5.5, 0, 0, 0.7, 5.8, 0, 0, 0, 14}, new boolean[] {true, true, false}, 3)));
                if (path.equals("kernels")) {
                    // the per-column GEMMs' other shapes: widths not multiples of 4 (F = 10, 3F = 30,
                    // readout 5), and K_d past 12 slices of 32 (3F = 600) or past 4 for the update (F = 200)
                    list.add(Arguments.of(path, p, "gaussian F=10 K=7", "cluster-12", RandomStructures.cluster(12, 0.08, 8)));
                    list.add(Arguments.of(path, p, "gaussian F=200 K=20", "cluster-16",
                            RandomStructures.cluster(16, 0.08, 9)));
                    // past GemmKernel.SMALL_ROWS atoms: layer 0 by elements
                    list.add(Arguments.of(path, p, "gaussian F=128 K=20", "cluster-160",
                            RandomStructures.cluster(160, 0.08, 5)));
                    list.add(Arguments.of(path, p, "bessel-shared F=24 K=12", "slab-96", RandomStructures.periodic(96,
                            new double[] {9.5, 0, 0, 1.0, 9.8, 0, 0, 0, 16}, new boolean[] {true, true, false}, 6)));
                }
            }
        }
        return list.stream();
    }

    static PainnModel model(String name) {
        if (name.equals("gaussian F=10 K=7")) {
            return RandomModels.model(10, 2, 7, 4.0, "gaussian", 13);
        }
        if (name.equals("gaussian F=200 K=20")) {
            return RandomModels.model(200, 2, 20, 5.0, "gaussian", 14);
        }
        if (name.startsWith("gaussian")) {
            return RandomModels.modelWithShifts(128, 3, 20, 5.0, "gaussian", 11);
        }
        return RandomModels.sharedFilters(24, 2, 12, 4.5, "bessel", 12);
    }

    private String path = "";

    private void check(Precision p, String tensor, double[] gpu, double[] cpu) {
        double err = GpuTests.relativeError(gpu, cpu);
        synchronized (WORST) {
            WORST.merge(path + " " + p.label() + " " + tensor.replaceAll("[0-9]+$", ""), err, Math::max);
        }
        assertClose(tensor, gpu, cpu, GpuTests.tolerance(p));
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("cases")
    void everyStageMatchesItsCpuTwin(String path, Precision p, String modelName, String structureName, Structure s) {
        this.path = path;
        PainnModel model = model(modelName);
        int n = s.size();
        int f = model.config.nAtomBasis();
        int layers = model.config.nInteractions();
        Map<String, double[]> t;
        org.painn4j.calc.Result result;
        try (GpuCalculator gpu = new GpuCalculator(model, p)) {
            gpu.setFused(path.equals("fused"));
            org.junit.jupiter.api.Assumptions.assumeTrue(gpu.fusedFor(n) == path.equals("fused"),
                    "this device has no one-kernel path");
            gpu.setPoison(true);
            result = gpu.compute(s);
            // asked before the first call, the list's edge capacity was not known yet
            assertEquals(path.equals("fused"), gpu.fusedFor(n), "the path this case is about was taken");
            t = gpu.tensors();
        }
        // neighbor list: the same edges in the same order
        NeighborList list = NeighborList.build(s, model.config.cutoff());
        assertArrayEquals(toDouble(list.rowStart), t.get("rowStart"), "rowStart");
        assertArrayEquals(toDouble(list.neighbor), t.get("neighbor"), "neighbor");
        assertArrayEquals(toDouble(list.image), t.get("image"), "image");
        assertArrayEquals(toDouble(list.reverse), t.get("reverse"), "reverse");

        // radial: from the exact edge vectors
        Radial.Edges cpuEdges = Radial.forward(model, list.vector);
        check(p, "d", t.get("d"), cpuEdges.d());
        check(p, "u", t.get("u"), cpuEdges.u());
        check(p, "phi", t.get("phi"), cpuEdges.phi());
        check(p, "dphi", t.get("dphi"), cpuEdges.dphi());
        check(p, "fc", t.get("fc"), cpuEdges.fc());
        check(p, "dfc", t.get("dfc"), cpuEdges.dfc());
        // the GPU's own edge features feed the CPU twins of the later stages
        int e = list.edges();
        Radial.Edges gpuEdges = new Radial.Edges(e, model.config.nRbf(), t.get("d"), t.get("u"), t.get("phi"),
                t.get("dphi"), t.get("fc"), t.get("dfc"));

        double[] s0 = new double[n * f];
        for (int i = 0; i < n; i++) {
            System.arraycopy(model.embedding, s.number(i) * f, s0, i * f, f);
        }
        check(p, "embedding", t.get("s0"), s0);

        Message.Saved[] msg = new Message.Saved[layers];
        Mixing.Saved[] mix = new Mixing.Saved[layers];
        for (int l = 0; l < layers; l++) {
            msg[l] = Message.forward(model, l, list, gpuEdges, t.get("s" + l), t.get("v" + l));
            check(p, "message hPre" + l, t.get("hPre" + l), msg[l].hPre());
            check(p, "message x" + l, t.get("x" + l), msg[l].x());
            check(p, "message s'" + l, t.get("sMid" + l), msg[l].sOut());
            check(p, "message v'" + l, t.get("vMid" + l), msg[l].vOut());
            mix[l] = Mixing.forward(model, l, n, t.get("sMid" + l), t.get("vMid" + l));
            check(p, "mixing VU" + l, t.get("vu" + l), mix[l].vu());
            check(p, "mixing norm" + l, t.get("norm" + l), mix[l].norm());
            check(p, "mixing hPre" + l, t.get("a3" + l), mix[l].hPre());
            check(p, "mixing y" + l, t.get("y" + l), mix[l].y());
            check(p, "mixing s''" + l, t.get("s" + (l + 1)), mix[l].sOut());
            check(p, "mixing v''" + l, t.get("v" + (l + 1)), mix[l].vOut());
        }
        Readout.Saved ro = Readout.forward(model, s.numbers(), t.get("s" + layers));
        check(p, "readout energies", t.get("energies"), ro.energies());
        check(p, "readout backward", t.get("gs" + layers), Readout.backward(model, n, ro));

        int k = model.config.nRbf();
        double[] gPhi = new double[e * k];
        double[] gFc = new double[e];
        double[] gU = new double[3 * e];
        for (int l = layers - 1; l >= 0; l--) {
            Mixing.Saved mixOnGpuInputs = Mixing.forward(model, l, n, t.get("sMid" + l), t.get("vMid" + l));
            Mixing.Grad mg = Mixing.backward(model, l, n, mixOnGpuInputs, t.get("gs" + (l + 1)), t.get("gv" + (l + 1)));
            check(p, "mixing backward gs'" + l, t.get("gsMid" + l), mg.gs());
            check(p, "mixing backward gv'" + l, t.get("gvMid" + l), mg.gv());
            Message.Grad ig = Message.backward(model, l, list, gpuEdges, t.get("v" + l), msg[l],
                    t.get("gsMid" + l), t.get("gvMid" + l), gPhi, gFc, gU);
            if (l > 0) {
                // layer 0's input adjoints are not needed (the embedding does not move), nor computed
                check(p, "message backward gs" + l, t.get("gs" + l), ig.gs());
                check(p, "message backward gv" + l, t.get("gv" + l), ig.gv());
            }
        }
        // the GPU folds ∂E/∂φ and ∂E/∂fc into ∂E/∂d at once: (2.4) on the CPU's adjoints
        double[] gd = new double[e];
        for (int q = 0; q < e; q++) {
            gd[q] = gFc[q] * t.get("dfc")[q];
            for (int kk = 0; kk < k; kk++) {
                gd[q] += gPhi[q * k + kk] * t.get("dphi")[q * k + kk];
            }
        }
        check(p, "message backward gd", t.get("gd"), gd);
        check(p, "message backward gU", t.get("gU"), gU);
        if (n > GemmKernel.SMALL_ROWS) {
            // layer 0 went by elements: its sums and their adjoints against the CPU twin
            ElementMessage.Tables et = ElementMessage.tables(model, s.numbers());
            ElementMessage.Sums sums = ElementMessage.sums(et, list, gpuEdges);
            check(p, "element P", t.get("elementP"), sums.p());
            check(p, "element Q", t.get("elementQ"), sums.q());
            ElementMessage.Grad eg = ElementMessage.backward(et, list, gpuEdges, f, t.get("gsMid0"), t.get("gvMid0"),
                    new double[e], new double[3 * e]);
            check(p, "element RA", t.get("elementRA"), eg.ra());
            check(p, "element RB", t.get("elementRB"), eg.rb());
        }
        // forces and virial from the GPU's own ∂E/∂d, ∂E/∂u: (2.5), (7.1), (7.2)
        double[] forces = new double[3 * n];
        double[] virial = new double[9];
        for (int q = 0; q < e; q++) {
            double[] g = new double[3];
            double[] uq = {t.get("u")[3 * q], t.get("u")[3 * q + 1], t.get("u")[3 * q + 2]};
            double[] gu = {t.get("gU")[3 * q], t.get("gU")[3 * q + 1], t.get("gU")[3 * q + 2]};
            double dot = gu[0] * uq[0] + gu[1] * uq[1] + gu[2] * uq[2];
            for (int c = 0; c < 3; c++) {
                g[c] = t.get("gd")[q] * uq[c] + (gu[c] - dot * uq[c]) / t.get("d")[q];
                forces[3 * list.center[q] + c] += g[c];
                forces[3 * list.neighbor[q] + c] -= g[c];
            }
            for (int a = 0; a < 3; a++) {
                for (int b = 0; b < 3; b++) {
                    virial[3 * a + b] += list.vector[3 * q + a] * g[b];
                }
            }
        }
        check(p, "forces", result.forces(), forces);
        if (s.fullyPeriodic()) {
            check(p, "stress", result.stress(), org.painn4j.calc.Virial.stress(s, virial));
        }
    }

    private static double[] toDouble(int[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    @AfterAll
    static void report() {
        WORST.forEach((k, v) -> System.out.printf("kernel pair %-32s worst relative error %.2e%n", k, v));
    }
}
