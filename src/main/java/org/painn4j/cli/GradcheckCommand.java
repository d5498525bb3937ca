package org.painn4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.painn4j.InputException;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.GradCheck;
import org.painn4j.calc.Precision;
import org.painn4j.calc.Result;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.gpu.Gpu;
import org.painn4j.gpu.GpuCalculator;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** painn4j gradcheck: analytical forces and stress against central differences. */
@Command(name = "gradcheck", mixinStandardHelpOptions = true, versionProvider = Version.class,
        header = "Analytical forces and stress against central differences of the float64 energy.",
        description = {"Checks analytical forces (and stress, for fully periodic frames) against central",
                "differences of the float64 CPU energy, frame by frame. Exit code 1 when a deviation",
                "exceeds the tolerance. On the GPU both float32 and float64 are checked unless",
                "--precision names one."})
final class GradcheckCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--input", required = true, paramLabel = "X.extxyz", description = "Structures to check.")
    Path input;

    @Option(names = "--step", paramLabel = "h", defaultValue = "1e-5",
            description = "Finite-difference step in Å (and in strain for the stress). Default: ${DEFAULT-VALUE}.")
    double step;

    @Option(names = "--tolerance", paramLabel = "eV/Å", defaultValue = "1e-4",
            description = "Largest deviation allowed, eV/Å for forces and eV/Å³ for stress. Default: ${DEFAULT-VALUE}.")
    double tolerance;

    @Mixin
    EngineOptions engine;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!(step > 0) || step > 0.1) {
            throw new InputException("--step must be in (0, 0.1] Å, got " + step);
        }
        if (!(tolerance > 0)) {
            throw new InputException("--tolerance must be positive, got " + tolerance);
        }
        PainnModel m = model.load();
        PrintWriter out = spec.commandLine().getOut();
        List<Calculator> engines = engines(m);
        CpuCalculator reference = engine.cpu(m);
        double worst = 0;
        boolean failed = false;
        out.printf(Locale.ROOT, "%-6s %6s %8s  %-14s %12s %12s %-10s %14s  %s%n",
                "frame", "atoms", "edges", "engine", "max|F| eV/Å", "max|ΔF| eV/Å", "worst at", "max|Δσ| eV/Å³", "result");
        try (ExtXyz.FrameReader in = ExtXyz.open(input)) {
            int index = 0;
            while (in.hasNext()) {
                Frame f = in.next();
                for (Calculator calc : engines) {
                    Result r;
                    GradCheck.Report rep;
                    try {
                        r = calc.compute(f.structure());
                        rep = GradCheck.compare(r, reference, f.structure(), step);
                    } catch (InputException e) {
                        throw new InputException(input + ": " + f.location(index, e.atoms()) + ": " + e.getMessage(), e);
                    }
                    boolean ok = rep.forceError() <= tolerance
                            && (Double.isNaN(rep.stressError()) || rep.stressError() <= tolerance);
                    failed |= !ok;
                    worst = Math.max(worst, rep.forceError());
                    out.printf(Locale.ROOT, "%-6d %6d %8d  %-14s %12.4e %12.3e %-10s %14s  %s%n",
                            index, f.structure().size(), r.edges(), calc.describe(), rep.maxForce(), rep.forceError(),
                            "atom " + rep.worstAtom() + " " + "xyz".charAt(rep.worstAxis()),
                            Double.isNaN(rep.stressError()) ? "-" : String.format(Locale.ROOT, "%.3e", rep.stressError()),
                            ok ? "ok" : "FAIL");
                }
                out.flush();
                index++;
            }
        } finally {
            engines.forEach(Calculator::close);
            reference.close();
        }
        out.printf(Locale.ROOT, "worst |ΔF| = %.3e eV/Å, tolerance %.1e: %s%n", worst, tolerance, failed ? "FAIL" : "PASS");
        return failed ? 1 : 0;
    }

    private List<Calculator> engines(PainnModel m) {
        List<Calculator> list = new ArrayList<>();
        if (!engine.gpu()) {
            list.add(engine.open(m, spec.commandLine().getErr()));
            return list;
        }
        if (engine.precision != null || !Gpu.available()) {
            // --device gpu without a GPU: open refuses it in one line
            list.add(engine.open(m, spec.commandLine().getErr()));
        } else {
            list.add(new GpuCalculator(m, Precision.FLOAT32));
            list.add(new GpuCalculator(m, Precision.FLOAT64));
        }
        return list;
    }
}
