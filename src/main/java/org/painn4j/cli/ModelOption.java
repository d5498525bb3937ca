package org.painn4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.painn4j.InputException;
import org.painn4j.model.PainnModel;
import picocli.CommandLine.Option;

/** --model, defaulting to the model shipped in weights/. */
final class ModelOption {
    /** Searched in this order; the first that exists is the default. */
    static final String[] SHIPPED = {"painn-xtb-organic.safetensors", "painn-test-random.safetensors"};

    @Option(names = "--model", paramLabel = "M.safetensors",
            description = "PaiNN weights (SPEC §2). Default: the shipped model in weights/.")
    Path model;

    PainnModel load() {
        return PainnModel.load(path());
    }

    /** The weights file: --model, or the shipped model. */
    Path path() {
        return model != null ? model : shipped();
    }

    /** weights/ beside the working directory, or beside the jar's folder (target/../weights). */
    static Path shipped() {
        for (Path dir : candidates()) {
            for (String name : SHIPPED) {
                Path p = dir.resolve(name);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        throw new InputException("no --model given and no shipped model found in ./weights/ "
                + "or beside the painn4j jar");
    }

    private static Path[] candidates() {
        Path cwd = Path.of("weights");
        try {
            Path jar = Path.of(ModelOption.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path root = jar.getParent() == null ? null : jar.getParent().getParent();
            return root == null ? new Path[] {cwd} : new Path[] {cwd, root.resolve("weights")};
        } catch (Exception e) {
            return new Path[] {cwd};
        }
    }
}
