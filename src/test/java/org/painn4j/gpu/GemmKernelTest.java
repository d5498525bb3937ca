package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.painn4j.calc.Precision;
import org.painn4j.gpu.GemmKernel.Driver;

/**
 * Which GEMM driver a dense layer gets, and the launch shapes the host assumes against the
 * kernels' own constants (a mismatch would launch the wrong grid or overrun a buffer, silently).
 * No GPU needed.
 */
class GemmKernelTest {
    private static final int H100 = 132;

    @Test
    void eachSizeGetsTheDriverItsBlocksCallFor() {
        // a small molecule alone: the caller asks for the per-column driver
        assertEquals(Driver.ROWS, GemmKernel.driver(21, 128, true, true, true, H100));
        // 1,024 atoms: 64×64 tiles would make 32 blocks, under two per multiprocessor
        assertEquals(Driver.MID, GemmKernel.driver(1024, 128, false, true, true, H100));
        assertEquals(Driver.MID, GemmKernel.driver(3072, 256, false, true, true, H100));
        // the same without the pipelined copies (silu on the input): 64×64 tiles
        assertEquals(Driver.TILES, GemmKernel.driver(1024, 128, false, false, true, H100));
        // 4,096 atoms, F → 3F: 192 blocks of 128×64 fill the device
        assertEquals(Driver.BIG, GemmKernel.driver(4096, 384, false, true, true, H100));
        assertEquals(Driver.MID, GemmKernel.driver(4096, 128, false, true, true, H100));
        // 16,384 atoms: the large tiles; the update, which has none, the 64×64 ones
        assertEquals(Driver.BIG, GemmKernel.driver(16384, 128, false, true, true, H100));
        assertEquals(Driver.TILES, GemmKernel.driver(16384, 128, false, true, false, H100));
        // a smaller device fills with fewer blocks
        assertEquals(Driver.BIG, GemmKernel.driver(2048, 128, false, true, true, 16));
    }

    @Test
    void theSwitchPointsMoveTheDrivers() {
        // the defaults as given
        assertEquals(GemmKernel.driver(1024, 384, false, true, true, H100),
                GemmKernel.driver(1024, 384, false, true, true, H100, 100, 200));
        // 1,024 × 384: 48 blocks of 128×64 (36 per 100 multiprocessors), 96 of 64×64 (72)
        assertEquals(Driver.MID, GemmKernel.driver(1024, 384, false, true, true, H100, 100, 200));
        assertEquals(Driver.MID, GemmKernel.driver(1024, 384, false, true, true, H100, 100, 73));
        assertEquals(Driver.TILES, GemmKernel.driver(1024, 384, false, true, true, H100, 100, 72));
        assertEquals(Driver.BIG, GemmKernel.driver(1024, 384, false, true, true, H100, 36, 200));
        assertEquals(Driver.MID, GemmKernel.driver(1024, 384, false, true, true, H100, 37, 200));
        // midBelow 0: never the mid-size tiles; the per-column choice is the caller's
        assertEquals(Driver.TILES, GemmKernel.driver(256, 128, false, true, true, H100, 100, 0));
        assertEquals(Driver.ROWS, GemmKernel.driver(21, 128, true, true, true, H100, 0, 0));
        assertEquals("perColumnRows 64, bigFrom 100, midBelow 200", GemmKernel.switchPoints());
        assertEquals(true, GemmKernel.perColumn(64));
        assertEquals(false, GemmKernel.perColumn(65));
    }

    @Test
    void perColumnBlocksTakeAWarpPerSliceOfK() {
        assertEquals(1, GemmKernel.slicesWarps(20, 1));
        assertEquals(2, GemmKernel.slicesWarps(64, 1));
        assertEquals(4, GemmKernel.slicesWarps(128, 1));
        assertEquals(5, GemmKernel.slicesWarps(130, 1));
        assertEquals(12, GemmKernel.slicesWarps(384, 1));
        // past 12 slices (or 4 of three groups) the warps take several each
        assertEquals(12, GemmKernel.slicesWarps(512, 1));
        assertEquals(4, GemmKernel.slicesWarps(128, 3));
        assertEquals(4, GemmKernel.slicesWarps(256, 3));
    }

    @Test
    void launchShapesMatchTheKernels() throws IOException {
        String dense = source("dense.cuh");
        assertEquals(GemmKernel.TILE, define(dense, "GEMM_TILE"));
        assertEquals(GemmKernel.THREADS, define(dense, "GEMM_THREADS"));
        assertEquals(GemmKernel.BIG_ROWS, define(dense, "GEMM_BIG_M"));
        assertEquals(GemmKernel.BIG_COLUMNS, define(dense, "GEMM_BIG_N"));
        assertEquals(GemmKernel.BIG_THREADS, define(dense, "GEMM_BIG_THREADS"));
        assertEquals(GemmKernel.SMALL_ROWS, define(dense, "GEMM_SMALL_M"));
        assertEquals(GemmKernel.MID_TILE, define(dense, "GEMM_MID_TILE"));
        assertEquals(GemmKernel.MID_ROWS_F32, define(dense, "GEMM_MID_ROWS_F32"));
        assertEquals(GemmKernel.MID_ROWS_F64, define(dense, "GEMM_MID_ROWS_F64"));
        assertEquals(GemmKernel.SLICES_COLUMNS, define(dense, "GEMM_SLICES_N"));
        assertEquals(GemmKernel.SLICES_MAX_WARPS, define(dense, "GEMM_SLICES_MAX_WARPS"));
        assertEquals(GemmKernel.COLUMNS_WARPS, define(dense, "GEMM_COLUMNS_WARPS"));
        assertEquals(128, GemmKernel.midThreads(Precision.FLOAT32));
        assertEquals(64, GemmKernel.midThreads(Precision.FLOAT64));
        assertEquals(NeighborBuffers.KEPT_KEYS, define(source("neighbors.cu"), "KEPT_KEYS"));
        String element = source("element.cu");
        assertEquals(ElementKernels.MAX_ELEMENTS, define(element, "ELEMENT_MAX"));
        assertEquals(ElementKernels.WARPS, define(element, "ELEMENT_WARPS"));
    }

    @Test
    void clusteredKernelsHaveTheShapesTheHostLaunches() throws IOException {
        // GemmKernel launches _rows_cN with 4 warps per block and N = K_d / CLUSTER_DEPTH blocks per
        // cluster; the cluster size is fixed in the kernel, so a mismatch would fail at launch
        String ptx = ptx("dense.sm_90.ptx");
        for (String pass : new String[] {"fwd", "bwd"}) {
            for (int depth : new int[] {256, 384}) {
                int cl = depth / GemmKernel.CLUSTER_DEPTH;
                Matcher m = Pattern.compile("\\.entry painn_dense_" + pass + "_rows_c" + cl
                        + "_f32\\([^)]*\\)\\s*\\.maxntid (\\d+), 1, 1\\s*\\.explicitcluster\\s*"
                        + "\\.reqnctapercluster (\\d+), 1, 1").matcher(ptx);
                if (!m.find()) {
                    throw new AssertionError("painn_dense_" + pass + "_rows_c" + cl + "_f32 with its cluster shape not in dense.sm_90.ptx");
                }
                assertEquals(GemmKernel.CLUSTER_DEPTH, Integer.parseInt(m.group(1)), "threads of a block: a warp per 32 k");
                assertEquals(cl, Integer.parseInt(m.group(2)));
            }
        }
    }

    private static String ptx(String name) throws IOException {
        try (var in = GemmKernel.class.getResourceAsStream("/org/painn4j/ptx/" + name)) {
            if (in == null) {
                throw new AssertionError(name + " missing from the resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String source(String name) throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("kernels").resolve(name))) {
            root = root.getParent();
        }
        return Files.readString(root.resolve("kernels").resolve(name));
    }

    private static int define(String source, String name) {
        Matcher m = Pattern.compile("(?m)^#define " + name + " (\\d+)\\s*$").matcher(source);
        if (!m.find()) {
            throw new AssertionError("#define " + name + " not found");
        }
        return Integer.parseInt(m.group(1));
    }
}
