package org.painn4j.ipi;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.painn4j.cli.Main;
import org.painn4j.model.SafeTensors;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomModels;
import org.painn4j.testing.RandomStructures;

/** A small random model on disk, template structures, and painn4j ipi run in a thread. */
final class IpiFixtures {
    static final double CUTOFF = 4.0;
    /** A triclinic cell with no symmetry, so that a transposed cell gives other numbers. */
    static final double[] CELL = {6.0, 0, 0, 1.5, 6.5, 0, 0.7, -1.1, 7.0};

    private IpiFixtures() {
    }

    static Path writeModel(Path dir) throws IOException {
        Map<String, String> md = RandomModels.metadata(16, 2, 8, CUTOFF, "gaussian");
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, md, RandomModels.tensors(md, 7, "F64"));
        return file;
    }

    static Path writeTemplate(Path dir, String name, Structure s) {
        Path file = dir.resolve(name);
        ExtXyz.write(file, List.of(new Frame(s)));
        return file;
    }

    static Structure molecule() {
        return RandomStructures.cluster(8, 0.05, 11);
    }

    static Structure crystal() {
        return RandomStructures.periodic(6, CELL, new boolean[] {true, true, true}, 12);
    }

    static Structure slab() {
        return RandomStructures.periodic(6, CELL, new boolean[] {true, true, false}, 13);
    }

    /** Positions moved by up to ±amplitude Å along each axis. */
    static double[] rattled(Structure s, double amplitude, long seed) {
        Random rnd = new Random(seed);
        double[] p = s.positions();
        for (int i = 0; i < p.length; i++) {
            p[i] += (2 * rnd.nextDouble() - 1) * amplitude;
        }
        return p;
    }

    /** painn4j's command line in a daemon thread, its output captured. */
    static final class ClientRun {
        private final FutureTask<Integer> task;
        private final StringWriter out = new StringWriter();
        private final StringWriter err = new StringWriter();

        ClientRun(List<String> args) {
            String[] a = args.toArray(new String[0]);
            task = new FutureTask<>(() -> Main.run(a, new PrintWriter(out, true), new PrintWriter(err, true)));
            Thread t = new Thread(task, "painn4j-ipi-client");
            t.setDaemon(true);
            t.start();
        }

        static ClientRun ipi(Path model, Path template, IpiTestServer server, String... extra) {
            List<String> args = new ArrayList<>(List.of("ipi", "--model", model.toString(), "--input",
                    template.toString(), "--device", "cpu"));
            if (!List.of(extra).contains("--timeout")) {
                args.addAll(List.of("--timeout", "10"));
            }
            args.addAll(server.clientArgs());
            args.addAll(List.of(extra));
            return new ClientRun(args);
        }

        /** The exit code; fails when the command has not finished within the given time. */
        int exitCode(double seconds) throws InterruptedException {
            try {
                return task.get((long) (seconds * 1000), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("painn4j ipi still running after " + seconds + " s; stderr: " + err);
            } catch (ExecutionException e) {
                throw new AssertionError("painn4j ipi threw", e.getCause());
            }
        }

        String err() {
            return err.toString();
        }
    }
}
