package org.painn4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.painn4j.model.PainnModel;

/** The shipped test model, found from wherever the tests run (the project or a folder below it). */
public final class TestWeights {
    private static final String TEST_RANDOM = "weights/painn-test-random.safetensors";
    private static PainnModel testRandom;

    private TestWeights() {
    }

    /** weights/painn-test-random.safetensors: F=128, L=3, K=20, rc=5 Å, gaussian, random weights. */
    public static synchronized PainnModel testRandom() {
        if (testRandom == null) {
            Path dir = Path.of("").toAbsolutePath();
            while (dir != null && !Files.exists(dir.resolve(TEST_RANDOM))) {
                dir = dir.getParent();
            }
            if (dir == null) {
                throw new IllegalStateException(TEST_RANDOM + " not found above " + Path.of("").toAbsolutePath());
            }
            testRandom = PainnModel.load(dir.resolve(TEST_RANDOM));
        }
        return testRandom;
    }
}
