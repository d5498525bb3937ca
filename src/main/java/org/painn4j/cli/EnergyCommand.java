package org.painn4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.painn4j.InputException;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Result;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** painn4j energy: energy, forces and stress of every frame (SPEC §4). */
@Command(name = "energy", mixinStandardHelpOptions = true,
        description = {"Evaluates every frame of an extended XYZ file and writes it back with",
                "energy=, forces:R:3 and, for fully periodic frames, stress= (as ASE writes them)."})
final class EnergyCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--input", required = true, paramLabel = "in.extxyz", description = "Structures to evaluate.")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "out.extxyz", description = "Where to write the results.")
    Path output;

    @Mixin
    EngineOptions engine;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PainnModel m = model.load();
        long start = System.nanoTime();
        int frames = 0;
        try (Calculator calc = engine.open(m, spec.commandLine().getErr());
             ExtXyz.FrameReader in = ExtXyz.open(input);
             ExtXyz.FrameWriter out = ExtXyz.create(output)) {
            while (in.hasNext()) {
                Frame f = in.next();
                Result r = evaluate(calc, f, frames, m);
                out.write(f.withResults(r.energy(), r.forces(), r.stress()));
                frames++;
            }
            spec.commandLine().getErr().printf(Locale.ROOT, "painn4j: %d frame%s evaluated (%s) in %.1f ms, written to %s%n",
                    frames, frames == 1 ? "" : "s", calc.describe(), (System.nanoTime() - start) / 1e6, output);
        }
        return 0;
    }

    /** One frame, with errors located in the input file. */
    Result evaluate(Calculator calc, Frame f, int index, PainnModel m) {
        String where = input + ": frame " + index + " (line " + f.lineNumber() + ")";
        Result r;
        try {
            r = calc.compute(f.structure());
        } catch (InputException e) {
            throw new InputException(where + ": " + e.getMessage(), e);
        }
        if (r.edges() == 0) {
            throw new InputException(where + ": no atom has a neighbor within the cutoff ("
                    + m.config.cutoff() + " Å); nothing to evaluate");
        }
        if (!Double.isFinite(r.energy())) {
            throw new InputException(where + ": the energy is not finite (" + r.energy() + ")");
        }
        return r;
    }
}
