package org.painn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.gpu.GpuTests;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomStructures;

/** The command line on the GPU: energy in both precisions, and the gradient check of both. */
@Tag("gpu")
class GpuCommandLineTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void gpu() {
        GpuTests.assumeGpu();
    }

    @Test
    void energyOnTheGpuAgreesWithTheCpu() {
        String input = "tests-gradcheck/reference/structures/triclinic.extxyz";
        String model = "tests-gradcheck/reference/models/model_a.safetensors";
        Path cpu = dir.resolve("cpu.extxyz");
        assertEquals(0, CliRun.of("energy", "--model", model, "--input", input, "--output", cpu.toString(),
                "--device", "cpu").code());
        Frame ref = ExtXyz.read(cpu).get(0);
        for (String precision : new String[] {"float32", "float64"}) {
            Path out = dir.resolve(precision + ".extxyz");
            CliRun r = CliRun.of("energy", "--model", model, "--input", input, "--output", out.toString(),
                    "--device", "gpu", "--precision", precision);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("(gpu " + precision + ")"), r.err());
            Frame f = ExtXyz.read(out).get(0);
            double tol = precision.equals("float64") ? 1e-8 : 1e-4;
            for (int k = 0; k < ref.forces().length; k++) {
                assertEquals(ref.forces()[k], f.forces()[k], tol, precision + " force component " + k);
            }
            for (int k = 0; k < 9; k++) {
                assertEquals(ref.stress()[k], f.stress()[k], tol, precision + " stress component " + k);
            }
        }
    }

    @Test
    void benchRefusesTheTiledKernelWhereItDoesNotExist() {
        // model_a has n_atom_basis 32: no tiled kernel on any GPU
        CliRun r = CliRun.of("bench", "--model", "tests-gradcheck/reference/models/model_a.safetensors", "--sizes", "5",
                "--precision", "float32", "--tiled-messages");
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals("painn4j: bench --tiled-messages: the tiled message kernel needs a Hopper GPU and a model with"
                + " n_atom_basis 128 and n_rbf 17 to 20; this model has 32 and 20", r.err().strip());
    }

    @Test
    void moleculardynamicsRunsOnTheDevice() throws java.io.IOException {
        Path log = dir.resolve("md.log");
        Path traj = dir.resolve("md.extxyz");
        CliRun r = CliRun.of("md", "--device", "gpu", "--steps", "40", "--interval", "10", "--temperature", "300",
                "--log", log.toString(), "--trajectory", traj.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("device-resident"), r.out());
        // the summary says how the kernels were launched, and why not the faster way where not
        assertTrue(r.out().contains(org.painn4j.gpu.CudaContext.shared().launches()), r.out());
        assertEquals(5, ExtXyz.read(traj).size(), "frames at steps 0, 10, 20, 30, 40");
        assertEquals(6, java.nio.file.Files.readAllLines(log).size(), "header and 5 lines");
    }

    @Test
    void gradcheckOnTheGpuChecksBothPrecisions() {
        CliRun r = CliRun.of("gradcheck", "--model", "tests-gradcheck/reference/models/model_a.safetensors",
                "--input", "tests-gradcheck/reference/structures/tiny_cell.extxyz", "--device", "gpu");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("gpu float32") && r.out().contains("gpu float64"), r.out());
        assertTrue(r.out().contains("PASS"), r.out());
    }

    /**
     * A multi-frame file, evaluated in batches (the small frames of a batch together on the
     * GPU), gives byte for byte the output of each frame evaluated alone, in both precisions;
     * also in batches small enough that the file takes several.
     */
    @Test
    void aMultiFrameFileGivesWhatEachFrameGivesAlone() throws IOException {
        List<Frame> frames = new ArrayList<>();
        try (var files = Files.list(Path.of("tests-gradcheck/reference/structures"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".extxyz")).sorted().toList()) {
                frames.addAll(ExtXyz.read(p));
            }
        }
        frames.add(new Frame(RandomStructures.cluster(21, 0.08, 1)));
        frames.add(new Frame(RandomStructures.cluster(50, 0.08, 2)));
        frames.add(new Frame(RandomStructures.cluster(120, 0.08, 3)));
        frames.add(new Frame(RandomStructures.periodic(20, new double[] {6.5, 0, 0, 1, 6.5, 0, 0.5, -1, 7},
                new boolean[] {true, true, true}, 4)));
        frames.add(new Frame(RandomStructures.cluster(21, 0.08, 5)));
        frames.add(new Frame(RandomStructures.cluster(400, 0.08, 6)));
        Path in = dir.resolve("all.extxyz");
        ExtXyz.write(in, frames);
        String model = "tests-gradcheck/reference/models/model_a.safetensors";
        for (String precision : new String[] {"float32", "float64"}) {
            StringBuilder expected = new StringBuilder();
            for (int k = 0; k < frames.size(); k++) {
                Path one = dir.resolve("frame" + k + ".extxyz");
                ExtXyz.write(one, List.of(frames.get(k)));
                Path out = dir.resolve("frame" + k + "." + precision + ".extxyz");
                CliRun r = CliRun.of("energy", "--model", model, "--input", one.toString(), "--output", out.toString(),
                        "--device", "gpu", "--precision", precision);
                assertEquals(0, r.code(), r.err());
                expected.append(Files.readString(out));
            }
            for (int atoms : new int[] {EnergyCommand.BATCH_ATOMS, 100}) {
                EnergyCommand.batchAtoms = atoms;
                try {
                    Path out = dir.resolve("all." + precision + "." + atoms + ".extxyz");
                    CliRun r = CliRun.of("energy", "--model", model, "--input", in.toString(), "--output",
                            out.toString(), "--device", "gpu", "--precision", precision);
                    assertEquals(0, r.code(), r.err());
                    assertTrue(r.err().contains(frames.size() + " frames evaluated (gpu " + precision + ")"), r.err());
                    assertEquals(expected.toString(), Files.readString(out), precision + ", batches of " + atoms + " atoms");
                } finally {
                    EnergyCommand.batchAtoms = EnergyCommand.BATCH_ATOMS;
                }
            }
        }
    }
}
