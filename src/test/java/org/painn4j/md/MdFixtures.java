package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.painn4j.cli.Main;
import org.painn4j.model.PainnModel;
import org.painn4j.model.SafeTensors;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomModels;

/** Shared pieces of the molecular dynamics tests. */
final class MdFixtures {
    /**
     * The small smooth model of the conservation tests: F = 8, L = 1, K = 8, rc = 4 Å. Cheap
     * (under a millisecond per ethanol step) and, unlike larger random models, without the steep
     * regions that make a random potential stiff; docs/md.md has its measured drift.
     */
    static final int F = 8;
    static final int LAYERS = 1;
    static final int RBF = 8;
    static final double CUTOFF = 4.0;
    static final long MODEL_SEED = 7;

    private static final String[] PYTHONS = {"/usr/bin/python3", "python3"};
    private static String python;
    private static boolean pythonProbed;

    private MdFixtures() {
    }

    static PainnModel smallModel() {
        return RandomModels.model(F, LAYERS, RBF, CUTOFF, "gaussian", MODEL_SEED);
    }

    /** The small model as a weights file, for runs through the command line. */
    static Path writeSmallModel(Path dir) throws IOException {
        Map<String, String> md = RandomModels.metadata(F, LAYERS, RBF, CUTOFF, "gaussian");
        Path file = dir.resolve("small.safetensors");
        SafeTensors.write(file, md, RandomModels.tensors(md, MODEL_SEED, "F64"));
        return file;
    }

    static Path example(String name) {
        return Path.of("weights", "examples", name);
    }

    static Structure ethanol() {
        return ExtXyz.read(example("ethanol.extxyz")).get(0).structure();
    }

    /** Exit code and what a command line printed. */
    record Run(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    /** Asserts that a command line succeeded, showing what it printed to standard error if not. */
    static void ok(Run r) {
        assertEquals(0, r.code(), r.err());
    }

    static Run main(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    /** A Python with ASE, or null (the ASE tests are then skipped). */
    static synchronized String python() {
        if (!pythonProbed) {
            pythonProbed = true;
            for (String candidate : PYTHONS) {
                try {
                    if (runPython(candidate, "import ase.io, ase.md.logger\nprint('ok')").startsWith("ok")) {
                        python = candidate;
                        break;
                    }
                } catch (IOException | RuntimeException e) {
                    // try the next one
                }
            }
        }
        return python;
    }

    static String runPython(String interpreter, String script, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(interpreter, "-c", script));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(interpreter + " failed: " + text);
            }
            return text;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
