package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * With programmatic dependent launch a kernel may start before its predecessor has finished, so
 * every kernel of the shipped sm_90 PTX must wait (griddepcontrol.wait) before it touches global
 * memory, and none may let its dependents start early (performance.md, entry 46). The compute_80
 * PTX, launched in plain stream order, has no such instructions.
 */
class GridDependencyPtxTest {
    /** A memory instruction other than on kernel parameters or shared memory (generic ones included). */
    private static final Pattern MEMORY = Pattern.compile(
            "^\\s*(@!?%p\\d+\\s+)?(ld|st|atom|red|cp\\.async|prefetch)\\.(?!param|shared|local)");

    /** Every stage: each kernels/*.cu. */
    private static List<String> stages() throws IOException {
        try (Stream<Path> files = Files.list(PtxFreshnessTest.projectRoot().resolve("kernels"))) {
            List<String> stages = files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".cu"))
                    .map(f -> f.substring(0, f.length() - 3)).sorted().toList();
            assertFalse(stages.isEmpty(), "no kernels/*.cu");
            return stages;
        }
    }

    private static String ptx(String name) throws IOException {
        try (InputStream in = GridDependencyPtxTest.class.getResourceAsStream("/org/painn4j/ptx/" + name)) {
            assertTrue(in != null, name + " is not in the jar");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** Each entry's body, from ".entry name(" to the line after its last brace: name, lines. */
    private static List<String[]> entries(String text) {
        List<String[]> out = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].startsWith(".visible .entry ") && !lines[i].startsWith(".entry ")) {
                continue;
            }
            String name = lines[i].replaceFirst("^.*\\.entry ", "").replaceFirst("\\(.*$", "");
            int j = i;
            while (j < lines.length && !lines[j].equals("}")) {
                j++;
            }
            String[] body = new String[j - i];
            System.arraycopy(lines, i, body, 0, body.length);
            out.add(new String[] {name, String.join("\n", body)});
            i = j;
        }
        return out;
    }

    @Test
    void everyHopperKernelWaitsForItsPredecessorBeforeTouchingMemory() throws IOException {
        int kernels = 0;
        for (String stage : stages()) {
            List<String[]> entries = entries(ptx(stage + ".sm_90.ptx"));
            assertFalse(entries.isEmpty(), stage + ": no entries found");
            for (String[] e : entries) {
                String[] lines = e[1].split("\n");
                int wait = -1;
                for (int i = 0; i < lines.length && wait < 0; i++) {
                    if (lines[i].contains("griddepcontrol.wait")) {
                        wait = i;
                    } else {
                        assertFalse(MEMORY.matcher(lines[i]).find(),
                                stage + " " + e[0] + ": memory access before the grid-dependency wait: " + lines[i].trim());
                    }
                }
                assertTrue(wait >= 0, stage + " " + e[0] + ": no griddepcontrol.wait");
                assertFalse(e[1].contains("griddepcontrol.launch_dependents"), stage + " " + e[0] + ": early signal");
                kernels++;
            }
        }
        assertTrue(kernels > 100, "kernels checked: " + kernels);
    }

    @Test
    void portablePtxHasNoGridDependencyInstructions() throws IOException {
        for (String stage : stages()) {
            String text = ptx(stage + ".compute_80.ptx");
            assertEquals(-1, text.indexOf("griddepcontrol"), stage + ".compute_80.ptx");
        }
    }
}
