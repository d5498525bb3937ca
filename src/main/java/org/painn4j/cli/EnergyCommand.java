package org.painn4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.painn4j.InputException;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Result;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import org.painn4j.structure.Structure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * painn4j energy: energy, forces and stress of every frame (SPEC §4). Frames are read and
 * evaluated in batches of up to BATCH_ATOMS atoms, one {@link Calculator#compute(List)} call
 * each (the GPU engine evaluates small frames of a batch together), and written in order; the
 * output is the same as frame by frame, and so are the errors: a batch that is refused is
 * evaluated again frame by frame up to the frame at fault, whose error names it.
 */
@Command(name = "energy", mixinStandardHelpOptions = true, versionProvider = Version.class,
        header = "Energy, forces and stress of every frame of an extended XYZ file.",
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

    /** Atoms read before a batch is evaluated (a larger frame makes a batch of its own). */
    static final int BATCH_ATOMS = 8192;
    /** BATCH_ATOMS, lowered by tests to make many batches of a small file. */
    static int batchAtoms = BATCH_ATOMS;

    @Override
    public Integer call() {
        // The output is truncated when it is opened and written frame by frame as the frames are
        // evaluated (so that a long run keeps its finished work): it must be neither input.
        new OutputFiles().reads("--input", input).reads("--model", model.path()).writes("--output", output).check();
        PainnModel m = model.load();
        long start = System.nanoTime();
        int frames = 0;
        String engineName;
        try (Calculator calc = engine.open(m, spec.commandLine().getErr());
             ExtXyz.FrameReader in = ExtXyz.open(input);
             ExtXyz.FrameWriter out = ExtXyz.create(output)) {
            List<Frame> batch = new ArrayList<>();
            while (true) {
                batch.clear();
                int atoms = 0;
                // a frame that cannot be read ends the file after the frames before it are written
                RuntimeException unreadable = null;
                try {
                    while ((batch.isEmpty() || atoms < batchAtoms) && in.hasNext()) {
                        Frame f = in.next();
                        batch.add(f);
                        atoms += f.structure().size();
                    }
                } catch (RuntimeException e) {
                    unreadable = e;
                }
                List<Result> results = batch.size() > 1 ? computeAll(calc, batch) : null;
                for (int k = 0; k < batch.size(); k++) {
                    Frame f = batch.get(k);
                    Result r = evaluate(calc, f, frames, results == null ? null : results.get(k));
                    out.write(f.withResults(r.energy(), r.forces(), r.stress()));
                    frames++;
                }
                if (unreadable != null) {
                    throw unreadable;
                }
                if (batch.isEmpty()) {
                    break;
                }
            }
            engineName = calc.describe();
        }
        // After the output is closed, which can fail too: a run that reports success has written everything.
        spec.commandLine().getErr().printf(Locale.ROOT, "painn4j: %d frame%s evaluated (%s) in %.1f ms, written to %s%n",
                frames, frames == 1 ? "" : "s", engineName, (System.nanoTime() - start) / 1e6, output);
        return 0;
    }

    /** The frames of a batch in one call; null when one of them is refused (evaluate finds which). */
    private static List<Result> computeAll(Calculator calc, List<Frame> batch) {
        List<Structure> structures = new ArrayList<>(batch.size());
        for (Frame f : batch) {
            structures.add(f.structure());
        }
        try {
            return calc.compute(structures);
        } catch (InputException e) {
            return null;
        }
    }

    /**
     * One frame, with errors located in the input file; r is its result from a batch, or null.
     * A frame in which no atom has a neighbor is evaluated like any other (SPEC §1 defines E for
     * every structure): each atom's energy is the readout of its embedding through the mixing
     * blocks, plus the shifts, and forces (and stress) are zero.
     */
    Result evaluate(Calculator calc, Frame f, int index, Result r) {
        if (r == null) {
            try {
                r = calc.compute(f.structure());
            } catch (InputException e) {
                throw new InputException(input + ": " + f.location(index, e.atoms()) + ": " + e.getMessage(), e);
            }
        }
        if (!Double.isFinite(r.energy())) {
            throw new InputException(input + ": " + f.location(index) + ": the energy is not finite (" + r.energy() + ")");
        }
        return r;
    }
}
