package org.painn4j.gpu;

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
 * The stand-alone microbenchmarks under kernels/dev are not part of the library and run only on a
 * GPU machine; where nvcc is on the PATH, each must still build with the command in its head, so
 * that they do not rot between the runs that use them. The same for the message kernels'
 * variants (kernels/message-variants.sh), each of which must also change the shipped PTX: a
 * variant that builds the shipped kernels would time nothing.
 */
class DevKernelsBuildTest {
    @TempDir
    Path out;

    @Test
    void everyDevProgramBuilds() throws IOException, InterruptedException {
        Assumptions.assumeTrue(PtxFreshnessTest.onPath("nvcc"), "nvcc is not on the PATH");
        Path dev = PtxFreshnessTest.projectRoot().resolve("kernels/dev");
        List<Path> sources;
        try (Stream<Path> files = Files.list(dev)) {
            sources = files.filter(f -> f.toString().endsWith(".cu")).sorted().toList();
        }
        assertTrue(sources.size() > 0, "no programs in " + dev);
        for (Path cu : sources) {
            Path obj = out.resolve(cu.getFileName() + ".o");
            Process p = new ProcessBuilder("nvcc", "-std=c++17", "-O3", "-arch=sm_90", "-c", cu.toString(), "-o",
                    obj.toString()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), cu.getFileName() + " does not build:\n" + log);
            assertTrue(Files.size(obj) > 0, cu.getFileName() + ": empty object");
        }
    }

    @Test
    void everyMessageVariantBuildsAndDiffersFromTheShippedKernels() throws IOException, InterruptedException {
        Assumptions.assumeTrue(PtxFreshnessTest.onPath("nvcc"), "nvcc is not on the PATH");
        Path root = PtxFreshnessTest.projectRoot();
        Process p = new ProcessBuilder("bash", root.resolve("kernels/message-variants.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "message-variants.sh failed:\n" + log);
        Path shipped = root.resolve("src/main/resources/org/painn4j/ptx");
        for (String v : new String[] {"A0", "B"}) {
            boolean differs = false;
            for (String stage : new String[] {"message", "message_split"}) {
                Path ptx = out.resolve(v + "/org/painn4j/ptx/" + stage + ".sm_90.ptx");
                assertTrue(Files.size(ptx) > 0, v + ": empty " + ptx.getFileName());
                differs |= Files.mismatch(ptx, shipped.resolve(stage + ".sm_90.ptx")) >= 0;
            }
            assertTrue(differs, "variant " + v + " builds the shipped PTX");
        }
        assertTrue(Files.size(out.resolve("variants.txz")) > 0, "no variants.txz");
    }
}
