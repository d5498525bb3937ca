package org.painn4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.painn4j.InputException;
import org.painn4j.IoReason;
import org.painn4j.bench.Clusters;
import org.painn4j.bench.Latency;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Precision;
import org.painn4j.calc.Result;
import org.painn4j.gpu.CudaContext;
import org.painn4j.gpu.Gpu;
import org.painn4j.gpu.GpuCalculator;
import org.painn4j.gpu.GpuException;
import org.painn4j.gpu.Profiler;
import org.painn4j.md.GpuMdEngine;
import org.painn4j.md.Masses;
import org.painn4j.md.MaxwellBoltzmann;
import org.painn4j.md.MdSettings;
import org.painn4j.md.MdState;
import org.painn4j.md.Thermostat;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Structure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** painn4j bench: latency of energy + forces, and device memory, over system sizes. */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Version.class,
        header = "Latency, device memory and MD throughput of the engines over system sizes.",
        description = {"Latency of one energy + forces call (median, p10, p90 in µs, after warm-up) and device",
                "memory, for random H/C/N/O clusters at 0.08 atoms/Å³, in float32 and float64.",
                "--profile adds the GPU time of every kernel (CUDA events on the plain launch path)."})
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--sizes", split = ",", paramLabel = "N,N,...", defaultValue = "5,21,64,256,1024,4096,16384",
            description = "Atom counts. Default: ${DEFAULT-VALUE}.")
    int[] sizes;

    @Option(names = "--precision", split = ",", paramLabel = "float32,float64", defaultValue = "float32,float64",
            description = "Precisions to run. Default: ${DEFAULT-VALUE}.")
    EngineOptions.PrecisionOption[] precisions;

    @Option(names = "--device", paramLabel = "gpu|cpu|auto", defaultValue = "gpu",
            description = "The engine to time (the CPU engine is float64 only; auto: the GPU when there is one). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads of the CPU engine (default: every core the JVM may use; at most 4 per core, or 64).")
    Integer threads;

    @Option(names = "--calls", defaultValue = "200", description = "Timed calls at least. Default: ${DEFAULT-VALUE}.")
    int calls;

    @Option(names = "--seconds", defaultValue = "1", description = "Timed seconds at least (at most 10x). Default: ${DEFAULT-VALUE}.")
    double seconds;

    @Option(names = "--no-graph", description = "Launch kernel by kernel instead of replaying a CUDA graph.")
    boolean noGraph;

    @Option(names = "--fused", description = "Evaluate structures of at most 64 atoms by the one-kernel path (Hopper).")
    boolean fused;

    @Option(names = "--direct-layer0", description = {"Layer 0 by the direct message kernels at every size",
        "(for comparison; by default larger structures take it by elements)."})
    boolean directLayer0;

    @Option(names = "--unsplit-messages", description = {"Message kernels by rows at every size (for comparison;",
        "by default, on Hopper, structures of at most 64 atoms split each row over a cluster of blocks)."})
    boolean unsplitMessages;

    @Option(names = "--tiled-messages", description = {"Structures of more than 64 atoms by the forward message kernel that",
        "forms the filter on the tensor cores (Hopper, F = 128, 17 <= K <= 20; slower, for comparison)."})
    boolean tiledMessages;

    @Option(names = "--binned-search", description = {"Neighbor lists through bins past the single-block search (for",
        "comparison; by default structures of up to 2²¹ candidate pairs are searched by all pairs)."})
    boolean binnedSearch;

    @Option(names = "--profile", description = "Also time every kernel with CUDA events.")
    boolean profile;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON.")
    Path json;

    @Option(names = "--md", description = {"Time molecular dynamics steps instead (device-resident velocity Verlet,",
            "0.5 fs, 300 K): steps/s and ns/day for --sizes (default here 21,256,1024,4096,16384; copies",
            "of the aspirin molecule, rounded to whole molecules) and for --replicas replicas of",
            "--replica-atoms atoms."})
    boolean md;

    @Option(names = "--replicas", defaultValue = "8", description = "Replicas advancing together with --md. Default: ${DEFAULT-VALUE}.")
    int replicas;

    @Option(names = "--replica-atoms", defaultValue = "21", paramLabel = "N",
            description = "Atoms of each replica with --md (copies of aspirin, rounded to whole molecules). Default: ${DEFAULT-VALUE}.")
    int replicaAtoms;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N",
            description = {"Time one batched call of N different clusters of each size (Calculator.compute(List)),",
                    "and report the time per structure too. Default: ${DEFAULT-VALUE}."})
    int batch;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random clusters.")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        checkNumbers();
        boolean gpu = chooseDevice();
        checkGpuOnly(gpu);
        if (json != null) {
            checkWritable(json);
        }
        PainnModel m = model.load();
        PrintWriter out = spec.commandLine().getOut();
        if (md) {
            return benchMd(m, out);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("device", gpu ? CudaContext.shared().describe() : "cpu (" + (threads == null
                ? Runtime.getRuntime().availableProcessors() + " cores)" : threads + (threads == 1 ? " thread)" : " threads)")));
        report.put("model", m.config.name() + " F=" + m.config.nAtomBasis() + " L=" + m.config.nInteractions()
                + " K=" + m.config.nRbf() + " rc=" + m.config.cutoff());
        report.put("graph", gpu && !noGraph);
        report.put("dependent_launch", gpu && CudaContext.shared().dependentLaunch());
        report.put("layer0_by_elements", gpu && !directLayer0);
        report.put("split_messages", gpu && !unsplitMessages);
        report.put("tiled_messages", gpu && tiledMessages);
        report.put("pair_search", gpu && !binnedSearch);
        if (gpu) {
            report.put("gemm_switch", GpuCalculator.gemmSwitchPoints());
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Map<String, Object>> profiles = new ArrayList<>();
        out.println("# " + report.get("device") + "; model " + report.get("model")
                + (gpu ? (noGraph ? "; kernel by kernel" : "; CUDA graph") + "; " + CudaContext.shared().launches()
                        + "; GEMM switch " + report.get("gemm_switch") : ""));
        out.printf(Locale.ROOT, "%7s %9s  %-9s %11s %11s %11s %8s %11s %11s%s%n",
                "atoms", "edges", "precision", "median µs", "p10 µs", "p90 µs", "calls", "device MB", "driver MB",
                batch > 1 ? String.format(Locale.ROOT, " %9s %13s", "batch", "µs/structure") : "");
        out.flush();
        for (int n : sizes) {
            Structure s = Clusters.random(n, 0.08, seed + n);
            List<Structure> structures = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                structures.add(b == 0 ? s : Clusters.random(n, 0.08, seed + n + 7919L * b));
            }
            for (EngineOptions.PrecisionOption po : gpu ? precisions : new EngineOptions.PrecisionOption[] {EngineOptions.PrecisionOption.float64}) {
                Precision p = po.precision;
                long usedBefore = gpu ? used() : 0;
                try (Calculator calc = gpu ? gpuCalculator(m, p) : EngineOptions.cpu(m, threads)) {
                    if (calc instanceof GpuCalculator g) {
                        g.setGraphs(!noGraph);
                    }
                    Result r = calc.compute(s);
                    Latency.Stats st = batch == 1 ? Latency.measure(calc, s, 0.3, calls, seconds, 10 * seconds)
                            : Latency.measure(() -> calc.compute(structures), 0.3, calls, seconds, 10 * seconds);
                    long devBytes = calc instanceof GpuCalculator g ? g.deviceBytes() : 0;
                    long driverBytes = gpu ? used() - usedBefore : 0;
                    // --fused takes the one-kernel path only where it fits: each row says which path it timed
                    boolean oneKernel = calc instanceof GpuCalculator g && batch == 1 && g.fusedFor(n);
                    out.printf(Locale.ROOT, "%7d %9d  %-9s %11.1f %11.1f %11.1f %8d %11.1f %11.1f%s%s%n", n, r.edges(), p.label(),
                            st.median(), st.p10(), st.p90(), st.calls(), devBytes / 1e6, driverBytes / 1e6,
                            batch > 1 ? String.format(Locale.ROOT, " %9d %13.1f", batch, st.median() / batch) : "",
                            fused ? (oneKernel ? "  one kernel" : "  kernel by kernel") : "");
                    out.flush();
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("atoms", n);
                    row.put("edges", r.edges());
                    row.put("precision", p.label());
                    row.put("one_kernel", oneKernel);
                    row.put("median_us", st.median());
                    row.put("p10_us", st.p10());
                    row.put("p90_us", st.p90());
                    row.put("mean_us", st.mean());
                    row.put("calls", st.calls());
                    row.put("device_bytes", devBytes);
                    row.put("driver_bytes", driverBytes);
                    if (batch > 1) {
                        row.put("batch", batch);
                        row.put("median_us_per_structure", st.median() / batch);
                    }
                    rows.add(row);
                    if (profile && calc instanceof GpuCalculator g) {
                        profiles.add(profile(g, s, n, p, out));
                    }
                }
            }
        }
        report.put("results", rows);
        if (profile) {
            report.put("profiles", profiles);
        }
        if (json != null) {
            writeJson(json, report);
            out.println("# written to " + json);
        }
        return 0;
    }

    /** Refuses, before any work, counts and times that would run nothing or never end. */
    private void checkNumbers() {
        if (sizes.length == 0) {
            throw new InputException("--sizes: give at least one atom count");
        }
        for (int n : sizes) {
            if (n < 1) {
                throw new InputException("--sizes: an atom count must be at least 1, got " + n);
            }
        }
        if (calls < 1) {
            throw new InputException("--calls must be at least 1, got " + calls);
        }
        // NaN would time nothing, Infinity would never stop
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
            throw new InputException("--seconds must be a finite number of seconds > 0, got " + seconds);
        }
        if (batch < 1) {
            throw new InputException("--batch must be at least 1, got " + batch);
        }
        if (replicas < 1) {
            throw new InputException("--replicas must be at least 1, got " + replicas);
        }
        if (replicaAtoms < 1) {
            throw new InputException("--replica-atoms must be at least 1, got " + replicaAtoms);
        }
        EngineOptions.checkThreads(threads);
    }

    /** True to time the GPU; auto, as every other command takes it: the GPU when there is one. */
    private boolean chooseDevice() {
        boolean gpu = device.equals("gpu") || device.equals("auto") && Gpu.available();
        if (!gpu && !device.equals("cpu") && !device.equals("auto")) {
            throw new InputException("--device must be gpu, cpu or auto, got '" + device + "'");
        }
        if (gpu && !Gpu.available()) {
            // a GPU failure, as for every other command: exit code 3
            throw new GpuException("bench --device gpu: no CUDA device is available (" + Gpu.unavailableReason() + ")");
        }
        return gpu;
    }

    /** The options that choose among the GPU engine's paths; the CPU engine has one path. */
    static final List<String> GPU_ONLY = List.of("--fused", "--tiled-messages", "--unsplit-messages", "--direct-layer0",
            "--binned-search", "--no-graph", "--profile");

    /**
     * Refuses what only the GPU can time when the CPU is timed, rather than ignoring it: auto on a
     * machine without a GPU too, as --precision float32 is refused there.
     */
    private void checkGpuOnly(boolean gpu) {
        if (gpu) {
            return;
        }
        var parsed = spec.commandLine().getParseResult();
        String why = device.equals("auto") ? " (--device auto: no CUDA device, " + Gpu.unavailableReason() + ")" : "";
        if (parsed.matchedOption("--precision") != null
                && Arrays.asList(precisions).contains(EngineOptions.PrecisionOption.float32)) {
            throw new InputException("--precision float32 needs the GPU; the CPU engine computes in float64" + why);
        }
        for (String option : GPU_ONLY) {
            if (parsed.matchedOption(option) != null) {
                throw new InputException(option + " needs the GPU; the CPU engine has no such choice" + why);
            }
        }
        if (md) {
            throw new InputException("bench --md times the device-resident engine: use --device gpu" + why);
        }
    }

    /**
     * Refuses, before minutes of timing, a --json file that cannot be written: a directory, a
     * missing directory, no permission. Opens it as writeJson will; a file it had to create is
     * deleted again, an existing one is left as it is.
     */
    static void checkWritable(Path file) {
        if (Files.isDirectory(file)) {
            throw new InputException("--json " + file + ": cannot write: it is a directory");
        }
        boolean existed = Files.exists(file);
        try {
            FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE).close();
            if (!existed) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw cannotWrite(file, e);
        }
    }

    /** Writes the report; a failure (a full disk, the directory gone meanwhile) is one line naming the file. */
    static void writeJson(Path file, Map<String, Object> report) {
        // through nio, whose exceptions say what went wrong apart from the file's name
        try (OutputStream out = Files.newOutputStream(file)) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out, report);
        } catch (IOException e) {
            throw cannotWrite(file, e);
        }
    }

    private static InputException cannotWrite(Path file, IOException e) {
        return new InputException("--json " + file + ": cannot write: " + IoReason.of(e), e);
    }

    /** Steps per second of the device-resident engine: one replica per size, then the replicas of 21 atoms. */
    /** Molecular dynamics is timed on copies of a training molecule (Clusters.molecules says why). */
    static final String MD_MOLECULE = "aspirin.extxyz";
    static final double MD_GAP = 2.5;

    private int benchMd(PainnModel m, PrintWriter out) throws IOException {
        boolean defaultSizes = spec.commandLine().getParseResult().matchedOption("--sizes") == null;
        int[] mdSizes = defaultSizes ? new int[] {21, 256, 1024, 4096, 16384} : sizes;
        double dtFs = 0.5;
        MdSettings nve = new MdSettings(dtFs, Thermostat.NONE, 0, 0);
        List<Map<String, Object>> rows = new ArrayList<>();
        out.println("# " + CudaContext.shared().describe() + "; model " + m.config.name() + "; md: velocity Verlet, dt "
                + dtFs + " fs, device-resident; " + CudaContext.shared().launches() + "; GEMM switch "
                + GpuCalculator.gemmSwitchPoints());
        out.printf(Locale.ROOT, "%7s %9s  %-9s %11s %11s %12s %9s %8s%n", "atoms", "replicas", "precision", "µs/step", "steps/s",
                "ns/day", "steps", "T end K");
        Structure molecule = ExtXyz.read(MdCommand.example(MD_MOLECULE)).get(0).structure();
        out.println("# structures: copies of " + MD_MOLECULE + " (" + molecule.size() + " atoms) on a lattice, "
                + MD_GAP + " Å apart; 300 K");
        List<int[]> runs = new ArrayList<>();
        for (int n : mdSizes) {
            runs.add(new int[] {n, 1});
        }
        if (replicas > 1) {
            runs.add(new int[] {replicaAtoms, replicas});
        }
        for (int[] run : runs) {
            for (EngineOptions.PrecisionOption po : precisions) {
                Precision p = po.precision;
                List<MdState> start = new ArrayList<>();
                for (int r = 0; r < run[1]; r++) {
                    Structure s = Clusters.molecules(molecule, run[0], MD_GAP);
                    double[] masses = Masses.of(s.numbers());
                    start.add(new MdState(0, s, masses, MaxwellBoltzmann.momenta(masses, 300, seed + r), null, 0, seed + r));
                }
                try (GpuCalculator calc = gpuCalculator(m, p);
                     GpuMdEngine engine = new GpuMdEngine(calc, () -> gpuCalculator(m, p), nve, start)) {
                    engine.advance(20);
                    int chunk = 50;
                    long steps = 0;
                    long t0 = System.nanoTime();
                    while (System.nanoTime() - t0 < seconds * 1e9 || steps < 100) {
                        engine.advance(chunk);
                        steps += chunk;
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    // the timed steps are only worth their number while the molecules stay whole
                    double tEnd = engine.state(0).temperature();
                    double perSecond = steps / secs;
                    double nsPerDay = perSecond * dtFs * 1e-6 * 86400;
                    int atoms = start.get(0).structure().size();
                    out.printf(Locale.ROOT, "%7d %9d  %-9s %11.1f %11.0f %12.3g %9d %8.0f%n", atoms, run[1], p.label(),
                            1e6 / perSecond, perSecond, nsPerDay, engine.step(), tEnd);
                    out.flush();
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("atoms", atoms);
                    row.put("replicas", run[1]);
                    row.put("precision", p.label());
                    row.put("us_per_step", 1e6 / perSecond);
                    row.put("steps_per_s", perSecond);
                    row.put("ns_per_day", nsPerDay);
                    row.put("steps", engine.step());
                    row.put("temperature_end_K", tEnd);
                    rows.add(row);
                }
            }
        }
        if (json != null) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("device", CudaContext.shared().describe());
            report.put("dependent_launch", CudaContext.shared().dependentLaunch());
            report.put("gemm_switch", GpuCalculator.gemmSwitchPoints());
            report.put("md", rows);
            writeJson(json, report);
            out.println("# written to " + json);
        }
        return 0;
    }

    private static long used() {
        long[] mem = CudaContext.shared().memoryInfo();
        return mem[1] - mem[0];
    }

    /** Mean GPU time per evaluation of every kernel, over 20 evaluations on the plain launch path. */
    private Map<String, Object> profile(GpuCalculator g, Structure s, int n, Precision p, PrintWriter out) {
        int reps = 20;
        Profiler prof = new Profiler().activate();
        try {
            g.compute(s);
            prof.reset();
            for (int i = 0; i < reps; i++) {
                g.compute(s);
            }
        } finally {
            prof.deactivate();
        }
        Map<String, Double> phases = new LinkedHashMap<>();
        List<Map<String, Object>> kernels = new ArrayList<>();
        out.printf(Locale.ROOT, "#   profile, %d atoms, %s (GPU time per evaluation):%n", n, p.label());
        for (Profiler.Entry e : prof.entries()) {
            double us = e.millis() * 1e3 / reps;
            phases.merge(e.phase(), us, Double::sum);
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("phase", e.phase());
            k.put("kernel", e.kernel());
            k.put("us", us);
            k.put("launches", e.launches() / reps);
            kernels.add(k);
            out.printf(Locale.ROOT, "#     %-15s %-36s %3d× %10.1f µs%n", e.phase(), e.kernel(), e.launches() / reps, us);
        }
        double total = phases.values().stream().mapToDouble(Double::doubleValue).sum();
        phases.forEach((ph, us) -> out.printf(Locale.ROOT, "#   %-17s %10.1f µs%n", ph, us));
        out.printf(Locale.ROOT, "#   %-17s %10.1f µs (sum of kernel times)%n", "total", total);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("atoms", n);
        entry.put("precision", p.label());
        entry.put("phases_us", phases);
        entry.put("kernels", kernels);
        return entry;
    }

    private GpuCalculator gpuCalculator(PainnModel m, Precision p) {
        GpuCalculator c = new GpuCalculator(m, p);
        c.setFused(fused);
        c.setByElements(!directLayer0);
        c.setSplitMessages(!unsplitMessages);
        c.setPairSearch(!binnedSearch);
        if (!c.setTiledMessages(tiledMessages) && tiledMessages) {
            // on other GPUs or models the flag would time message.cu's kernel under its name
            c.close();
            throw new InputException("bench --tiled-messages: the tiled message kernel needs a Hopper GPU and a model"
                    + " with n_atom_basis 128 and n_rbf 17 to 20; this model has " + m.config.nAtomBasis() + " and "
                    + m.config.nRbf());
        }
        return c;
    }
}
