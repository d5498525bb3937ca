package org.painn4j.gradcheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.painn4j.structure.Structure;

/**
 * The committed outputs of tests-gradcheck/reference/painn_reference.py: an independent
 * PyTorch implementation of SPEC §1 with autograd forces. CI reads them; it needs no Python.
 */
final class ReferenceFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReferenceFiles() {
    }

    /** One reference case: a model file, a structure and what PyTorch computed for it. */
    record Case(String name, Path model, Path structureFile, Structure structure, double energy,
                double[] energies, double[] forces, double[] stress, int edges) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Path folder() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("tests-gradcheck/reference/cases"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("tests-gradcheck/reference/cases not found above " + Path.of("").toAbsolutePath());
        }
        return dir.resolve("tests-gradcheck/reference");
    }

    static List<Case> cases() {
        Path folder = folder();
        try (Stream<Path> files = Files.list(folder.resolve("cases"))) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().map(p -> read(folder, p)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Case read(Path folder, Path file) {
        try {
            JsonNode j = JSON.readTree(file.toFile());
            int[] z = new int[j.get("numbers").size()];
            for (int i = 0; i < z.length; i++) {
                z[i] = j.get("numbers").get(i).asInt();
            }
            double[] cell = j.get("cell").isNull() ? null : flat(j.get("cell"));
            boolean[] pbc = new boolean[3];
            for (int a = 0; a < 3; a++) {
                pbc[a] = j.get("pbc").get(a).asBoolean();
            }
            Structure s = new Structure(z, flat(j.get("positions")), cell, pbc);
            String name = file.getFileName().toString().replace(".json", "");
            return new Case(name, folder.resolve(j.get("model").asText()).normalize(),
                    folder.resolve(j.get("structure").asText()).normalize(), s, j.get("energy").asDouble(),
                    flat(j.get("energies")), flat(j.get("forces")),
                    j.get("stress").isNull() ? null : flat(j.get("stress")), j.get("edges").asInt());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Nested JSON arrays of numbers, flattened row-major. */
    private static double[] flat(JsonNode node) {
        java.util.ArrayList<Double> out = new java.util.ArrayList<>();
        collect(node, out);
        double[] v = new double[out.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = out.get(i);
        }
        return v;
    }

    private static void collect(JsonNode node, java.util.List<Double> out) {
        if (node.isArray()) {
            node.forEach(n -> collect(n, out));
        } else {
            out.add(node.asDouble());
        }
    }
}
