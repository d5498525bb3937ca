package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.InputException;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Result;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import org.painn4j.structure.Structure;

/** Every refusal: exit code 2, one line on stderr that says what is wrong, and no stack trace. */
class BadInputTest {
    @TempDir
    static Path dir;

    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = MdFixtures.writeSmallModel(dir);
    }

    private static MdFixtures.Run md(String... more) {
        List<String> a = new ArrayList<>(List.of("md", "--model", model.toString(), "--device", "cpu",
                "--log", dir.resolve("bad.log").toString(), "--trajectory", dir.resolve("bad.extxyz").toString()));
        a.addAll(List.of(more));
        return MdFixtures.main(a.toArray(new String[0]));
    }

    private static String refused(MdFixtures.Run r) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("painn4j: "), r.err());
        return r.errLines().get(0);
    }

    @Test
    void stepsAndTimeStepMustBePositive() {
        assertEquals("painn4j: --steps must be a positive number of steps, got 0", refused(md("--steps", "0")));
        assertEquals("painn4j: --steps must be a positive number of steps, got -5", refused(md("--steps", "-5")));
        assertEquals("painn4j: --dt must be a positive number of fs, got 0.0", refused(md("--dt", "0")));
        assertEquals("painn4j: --dt must be a positive number of fs, got -0.5", refused(md("--dt", "-0.5")));
        assertEquals("painn4j: --dt must be a positive number of fs, got NaN", refused(md("--dt", "NaN")));
    }

    @Test
    void unknownThermostat() {
        assertEquals("painn4j: --thermostat: unknown thermostat 'nose-hoover' (none or langevin)",
                refused(md("--thermostat", "nose-hoover")));
    }

    @Test
    void otherOptions() {
        assertTrue(refused(md("--replicas", "0")).contains("--replicas"));
        assertTrue(refused(md("--interval", "0")).contains("--interval"));
        assertTrue(refused(md("--temperature", "-3")).contains("--temperature"));
        assertEquals("painn4j: --temperature must be at most 1000000 K, got 1.0E308", refused(md("--temperature", "1e308")));
        assertEquals("painn4j: --temperature must be at most 1000000 K, got Infinity", refused(md("--temperature", "Infinity")));
        assertEquals("painn4j: --temperature must be a non-negative number of K, got NaN", refused(md("--temperature", "NaN")));
        assertEquals("painn4j: --temperature must be at most 1000000 K, got 1000001.0",
                refused(md("--temperature", "1000001", "--thermostat", "langevin")));
        assertTrue(refused(md("--friction", "-1", "--thermostat", "langevin")).contains("--friction"));
        assertTrue(refused(md("--frame", "4")).contains("has 1 frame, --frame 4"));
        assertTrue(refused(md("--input", dir.resolve("nothing.extxyz").toString())).contains("no such file"));
    }

    /** Options that would change nothing in this run are refused rather than ignored. */
    @Test
    void optionsThatDoNothingAreRefused() {
        assertEquals("painn4j: --friction 0.05 applies to --thermostat langevin; this run is NVE",
                refused(md("--friction", "0.05")));
        assertEquals("painn4j: --checkpoint-interval 20 needs --checkpoint FILE, the file to write the checkpoints to",
                refused(md("--checkpoint-interval", "20")));
    }

    /** ASE gives every element a mass, and so does painn4j; what has none is not an element. */
    @Test
    void atomWithoutAMass() throws IOException {
        Path in = dir.resolve("dummy.extxyz");
        Files.writeString(in, "2\nProperties=species:S:1:pos:R:3 pbc=\"F F F\"\nH 0 0 0\nX 0.7 0 0\n");
        String line = refused(md("--input", in.toString()));
        assertTrue(line.contains("unknown element 'X'"), line);
    }

    @Test
    void atomsOnTopOfEachOtherAtTheStart() throws IOException {
        Path in = dir.resolve("overlap.extxyz");
        Files.writeString(in, "3\nProperties=species:S:1:pos:R:3 pbc=\"F F F\"\nO 0 0 0\nH 0.96 0 0\nH 0.96 0 0\n");
        String line = refused(md("--input", in.toString()));
        assertTrue(line.contains("overlap.extxyz: frame 0") && line.contains("same position"), line);
    }

    @Test
    void momentaThatAreNotNumbers() throws IOException {
        Path in = dir.resolve("nan.extxyz");
        Files.writeString(in, "2\nProperties=species:S:1:pos:R:3:momenta:R:3 pbc=\"F F F\"\n"
                + "H 0 0 0 0 0 0\nH 0.74 0 0 nan 0 0\n");
        String line = refused(md("--input", in.toString()));
        assertTrue(line.contains("frame 0 (line 1): the kinetic energy is not finite"), line);
    }

    /**
     * A hydrogen atom shot at another so fast that it jumps from beyond the cutoff straight onto
     * it: free flight is exact arithmetic (zero force), so the collision step is known in advance.
     * The run stops there, and the trajectory keeps every step before it.
     */
    @Test
    void atomsThatCollideMidRunStopItAndKeepTheTrajectory() throws IOException {
        double dt = 0.5 * MdUnits.FS;
        double m = 1.008;
        double p = 6.0 * m / dt;
        double x = 0;
        for (int step = 0; step < 3; step++) {
            x = x + dt * p / m;
        }
        Path in = dir.resolve("collide.extxyz");
        Files.writeString(in, "2\nProperties=species:S:1:pos:R:3:momenta:R:3 pbc=\"F F F\"\n"
                + "H 0.0 0.0 0.0 " + p + " 0.0 0.0\n"
                + "H " + x + " 0.0 0.0 0.0 0.0 0.0\n");
        Path traj = dir.resolve("collide-out.extxyz");
        MdFixtures.Run r = MdFixtures.main("md", "--model", model.toString(), "--device", "cpu", "--input", in.toString(),
                "--steps", "10", "--interval", "1", "--log", dir.resolve("collide.log").toString(),
                "--trajectory", traj.toString());
        String line = refused(r);
        assertTrue(line.contains("step 3: ") && line.contains("same position"), line);
        assertTrue(line.contains("the trajectory up to step 2 is kept in " + traj.toAbsolutePath()), line);
        List<Frame> kept = ExtXyz.read(traj);
        assertEquals(3, kept.size());
        assertEquals("2", kept.get(2).info().get("step"));
        assertEquals(4, Files.readAllLines(dir.resolve("collide.log")).size());
    }

    /** An engine that fails after some steps, through the run driver: the same message and files. */
    @Test
    void nonFiniteForcesMidRun() {
        Calculator failing = new Calculator() {
            int calls;

            @Override
            public Result compute(Structure s) {
                double[] f = new double[3 * s.size()];
                if (++calls > 7) {
                    f[4] = Double.NaN;
                }
                return new Result(0, new double[s.size()], f, null, null, 1);
            }

            @Override
            public String describe() {
                return "failing";
            }
        };
        Structure s = MdFixtures.ethanol();
        double[] m = Masses.of(s.numbers());
        CpuMdEngine engine = new CpuMdEngine(failing, MdSettings.nve(0.5), List.of(MdState.start(s, m, new double[3 * m.length], 0)));
        Path traj = dir.resolve("nan-forces.extxyz");
        MdRunConfig config = new MdRunConfig("m", "0", "in", new int[] {0}, MdSettings.nve(0.5), MassSource.TABLE,
                0, 1, 20, 2, 1, dir.resolve("nan-forces.log").toString(), traj.toString(), null, "failing");
        InputException e = assertThrows(InputException.class,
                () -> new MdRun(engine, config).run(null, null));
        assertEquals("step 7: the force on atom 1 is not finite (NaN); atoms flew apart or overlap, or --dt is too long;"
                + " the trajectory up to step 6 is kept in " + traj, e.getMessage());
        assertEquals(4, ExtXyz.read(traj).size());
    }
}
