package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PTX committed under src/main/resources must be what kernels/build-ptx.sh makes of the
 * kernels now: where nvcc is on the PATH, recompile and compare byte for byte.
 */
class PtxFreshnessTest {
    @TempDir
    Path out;

    @Test
    void committedPtxMatchesTheKernels() throws IOException, InterruptedException {
        Assumptions.assumeTrue(onPath("nvcc"), "nvcc is not on the PATH; the committed PTX is used as it is");
        Path root = projectRoot();
        Process p = new ProcessBuilder("bash", root.resolve("kernels/build-ptx.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "build-ptx.sh failed:\n" + log);
        Path committed = root.resolve("src/main/resources/org/painn4j/ptx");
        List<Path> fresh;
        try (Stream<Path> files = Files.list(out)) {
            fresh = files.sorted().toList();
        }
        try (Stream<Path> files = Files.list(committed)) {
            assertEquals(fresh.size(), files.count(), "number of PTX files");
        }
        assertTrue(fresh.size() > 0);
        for (Path f : fresh) {
            Path c = committed.resolve(f.getFileName());
            assertTrue(Files.exists(c), f.getFileName() + " is not committed: run kernels/build-ptx.sh");
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(c),
                    f.getFileName() + " is stale: run kernels/build-ptx.sh and commit the PTX");
        }
    }

    /** The folder holding kernels/, from wherever the tests run (the project or a folder below it). */
    static Path projectRoot() {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("kernels/build-ptx.sh"))) {
            root = root.getParent();
        }
        if (root == null) {
            throw new IllegalStateException("kernels/build-ptx.sh not found above " + Path.of("").toAbsolutePath());
        }
        return root;
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
