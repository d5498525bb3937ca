package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import org.painn4j.structure.Structure;

class ReplicasTest {
    private static MdFixtures.Run md(Path model, Path dir, String... more) {
        List<String> a = new ArrayList<>(List.of("md", "--model", model.toString(), "--device", "cpu",
                "--interval", "5", "--seed", "11",
                "--log", dir.resolve("md.log").toString(), "--trajectory", dir.resolve("md.extxyz").toString()));
        a.addAll(List.of(more));
        return MdFixtures.main(a.toArray(new String[0]));
    }

    @Test
    void replicasAreIndependentRunsWithSeedPlusR(@TempDir Path dir) throws IOException {
        Path model = MdFixtures.writeSmallModel(dir);
        Path together = Files.createDirectory(dir.resolve("together"));
        MdFixtures.Run r = md(model, together, "--replicas", "3", "--thermostat", "langevin", "--steps", "20");
        assertEquals(0, r.code(), r.err());
        List<String> logs = new ArrayList<>();
        List<String> trajectories = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            Path log = together.resolve("md.r" + k + ".log");
            Path traj = together.resolve("md.r" + k + ".extxyz");
            assertTrue(Files.exists(log) && Files.exists(traj), "replica " + k);
            logs.add(MdFixtures.read(log));
            trajectories.add(MdFixtures.read(traj));
            assertTrue(r.out().contains(log.toString()) && r.out().contains(traj.toString()), r.out());
        }
        assertTrue(Files.notExists(together.resolve("md.log")));
        assertNotEquals(trajectories.get(0), trajectories.get(1));
        assertNotEquals(trajectories.get(1), trajectories.get(2));
        assertNotEquals(logs.get(0), logs.get(2));

        for (int k = 0; k < 3; k++) {
            Path alone = Files.createDirectory(dir.resolve("alone" + k));
            MdFixtures.Run single = MdFixtures.main("md", "--model", model.toString(), "--device", "cpu",
                    "--thermostat", "langevin", "--steps", "20", "--interval", "5", "--seed", Integer.toString(11 + k),
                    "--log", alone.resolve("md.log").toString(), "--trajectory", alone.resolve("md.extxyz").toString());
            assertEquals(0, single.code(), single.err());
            assertEquals(trajectories.get(k), MdFixtures.read(alone.resolve("md.extxyz")), "replica " + k);
            assertEquals(logs.get(k), MdFixtures.read(alone.resolve("md.log")), "replica " + k);
        }
    }

    @Test
    void replicaRStartsFromFrameRWhenThereAreEnough(@TempDir Path dir) throws IOException {
        Path model = MdFixtures.writeSmallModel(dir);
        Structure s = MdFixtures.ethanol();
        List<Frame> frames = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            double[] x = s.positions();
            x[0] += 0.05 * k;
            frames.add(new Frame(s.withPositions(x)));
        }
        Path in = dir.resolve("two.extxyz");
        ExtXyz.write(in, frames);
        MdFixtures.Run r = md(model, dir, "--replicas", "2", "--input", in.toString(), "--thermostat", "none",
                "--steps", "5");
        assertEquals(0, r.code(), r.err());
        for (int k = 0; k < 2; k++) {
            Frame first = ExtXyz.read(dir.resolve("md.r" + k + ".extxyz")).get(0);
            assertArrayEquals(frames.get(k).structure().positions(), first.structure().positions(), 0);
        }
    }

    @Test
    void aReplicaWhoseFrameTheModelRefusesIsNamed(@TempDir Path dir) throws IOException {
        Path model = MdFixtures.writeSmallModel(dir);
        Path in = dir.resolve("two.extxyz");
        Files.writeString(in, "2\nProperties=species:S:1:pos:R:3\nC 0 0 0\nO 1.2 0 0\n"
                + "2\nProperties=species:S:1:pos:R:3\nC 0 0 0\nFm 1.2 0 0\n");
        MdFixtures.Run r = md(model, dir, "--replicas", "2", "--input", in.toString(), "--steps", "5");
        assertEquals(2, r.code(), r.err());
        assertEquals("painn4j: " + in + ": frame 1 (line 8): atom 1 has atomic number 100, outside the model's "
                + "embedding table (1..99)", r.err().strip());
    }
}
