package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.painn4j.md.MdFixtures.ok;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import org.painn4j.structure.Structure;

/** Which steps reach the log and the trajectory, and which frame a run starts from. */
class OutputScheduleTest {
    @TempDir
    static Path shared;

    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = MdFixtures.writeSmallModel(shared);
    }

    private static String[] md(Path dir, String... more) {
        List<String> a = new ArrayList<>(List.of("md", "--model", model.toString(), "--device", "cpu", "--seed", "3",
                "--log", dir.resolve("md.log").toString(), "--trajectory", dir.resolve("md.extxyz").toString()));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    private static List<String> steps(Path trajectory) {
        return ExtXyz.read(trajectory).stream().map(f -> f.info().get("step")).toList();
    }

    private static List<String> times(Path log) throws IOException {
        return MdFixtures.read(log).lines().skip(1).map(l -> l.trim().split("\\s+")[0]).toList();
    }

    /** As ASE's observers: steps 0, 5, ..., 20 of a 23-step run; step 23 is not a multiple of 5. */
    @Test
    void outputsFallOnMultiplesOfTheInterval(@TempDir Path dir) throws IOException {
        ok(MdFixtures.main(md(dir, "--input", MdFixtures.example("ethanol.extxyz").toString(),
                "--steps", "23", "--interval", "5")));
        assertEquals(List.of("0", "5", "10", "15", "20"), steps(dir.resolve("md.extxyz")));
        assertEquals(List.of("0.0000", "0.0025", "0.0050", "0.0075", "0.0100"), times(dir.resolve("md.log")));
    }

    /** A restart with another --interval goes on at the multiples of the new one, counted from step 0. */
    @Test
    void aRestartWithAnotherIntervalKeepsToAbsoluteSteps(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck.json");
        ok(MdFixtures.main(md(dir, "--input", MdFixtures.example("ethanol.extxyz").toString(),
                "--steps", "12", "--interval", "4", "--checkpoint", ck.toString())));
        ok(MdFixtures.main("md", "--restart", ck.toString(), "--steps", "30", "--interval", "7", "--device", "cpu"));
        assertEquals(List.of("0", "4", "8", "12", "14", "21", "28"), steps(dir.resolve("md.extxyz")));
        assertEquals(7, times(dir.resolve("md.log")).size());
    }

    /** --frame K starts from frame K of the input: the trajectory's step 0 holds its positions. */
    @Test
    void aRunStartsFromTheFrameAskedFor(@TempDir Path dir) {
        Structure first = MdFixtures.ethanol();
        double[] moved = first.positions().clone();
        for (int i = 0; i < moved.length; i++) {
            moved[i] += 0.01 * ((i % 7) - 3);
        }
        Structure second = Structure.molecule(first.numbers(), moved);
        Path input = dir.resolve("two.extxyz");
        ExtXyz.write(input, List.of(new Frame(first), new Frame(second)));
        ok(MdFixtures.main(md(dir, "--input", input.toString(), "--frame", "1", "--steps", "2", "--interval", "1")));
        Frame start = ExtXyz.read(dir.resolve("md.extxyz")).get(0);
        assertEquals("0", start.info().get("step"));
        assertArrayEquals(moved, start.structure().positions(), 0);
    }
}
