package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.painn4j.md.MdFixtures.ok;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** md writes nothing over its input, its model or another of its outputs. */
class OutputClashTest {
    @TempDir
    static Path shared;

    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = MdFixtures.writeSmallModel(shared);
    }

    private static MdFixtures.Run md(Path dir, String... more) throws IOException {
        Path in = dir.resolve("in.extxyz");
        if (!Files.exists(in)) {
            Files.copy(MdFixtures.example("ethanol.extxyz"), in);
        }
        List<String> a = new ArrayList<>(List.of("md", "--device", "cpu",
                "--input", in.toString(), "--steps", "4", "--interval", "2"));
        if (!List.of(more).contains("--model")) {
            a.addAll(List.of("--model", model.toString()));
        }
        a.addAll(List.of(more));
        return MdFixtures.main(a.toArray(new String[0]));
    }

    private static void refused(MdFixtures.Run r, String line) {
        assertEquals(2, r.code(), r.err());
        assertEquals(List.of("painn4j: " + line), r.errLines());
    }

    @Test
    void anOutputThatIsTheInputOrTheModelIsRefusedAndTheFileKept(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("in.extxyz");
        Files.copy(MdFixtures.example("ethanol.extxyz"), in);
        byte[] input = Files.readAllBytes(in);
        Path own = dir.resolve("m.safetensors");
        Files.copy(model, own);
        byte[] weights = Files.readAllBytes(own);
        refused(md(dir, "--trajectory", in.toString(), "--log", dir.resolve("md.log").toString()),
                "--trajectory " + in + " is the same file as --input " + in
                        + "; it would be overwritten: give the output another name");
        Path link = dir.resolve("link.safetensors");
        Files.createSymbolicLink(link, own);
        refused(md(dir, "--model", own.toString(), "--log", link.toString(),
                "--trajectory", dir.resolve("md.extxyz").toString()),
                "--log " + link + " is the same file as --model " + own
                        + "; it would be overwritten: give the output another name");
        assertArrayEquals(input, Files.readAllBytes(in));
        assertArrayEquals(weights, Files.readAllBytes(own));
        assertEquals(List.of("in.extxyz", "link.safetensors", "m.safetensors"), names(dir));
    }

    @Test
    void twoOutputsOfOneNameAreRefused(@TempDir Path dir) throws IOException {
        Path x = dir.resolve("x.out");
        refused(md(dir, "--log", x.toString(), "--trajectory", x.toString()),
                "--log " + x + " and --trajectory " + x + " are the same file; give each output its own name");
        refused(md(dir, "--log", dir.resolve("a.log").toString(), "--trajectory", x.toString(),
                "--checkpoint", x.toString()),
                "--trajectory " + x + " and --checkpoint " + x + " are the same file; give each output its own name");
        // each replica's files are NAME.rR.EXT: these two names give the same four files
        Path r0 = dir.resolve("x.r0.out");
        refused(md(dir, "--replicas", "2", "--log", x.toString(), "--trajectory", x.toString()),
                "--log " + r0 + " and --trajectory " + r0 + " are the same file; give each output its own name");
        assertEquals(List.of("in.extxyz"), names(dir));
    }

    /** A restart may write its checkpoint over the one it continues from (the default), nothing else. */
    @Test
    void aRestartWritesNeitherLogNorTrajectoryOverItsCheckpoint(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck.json");
        ok(md(dir, "--log", dir.resolve("md.log").toString(), "--trajectory", dir.resolve("md.extxyz").toString(),
                "--checkpoint", ck.toString()));
        byte[] before = Files.readAllBytes(ck);
        refused(MdFixtures.main("md", "--restart", ck.toString(), "--steps", "8", "--device", "cpu",
                "--trajectory", ck.toString()),
                "--trajectory " + ck + " and --checkpoint " + ck + " are the same file; give each output its own name");
        assertArrayEquals(before, Files.readAllBytes(ck));
        ok(MdFixtures.main("md", "--restart", ck.toString(), "--steps", "8", "--device", "cpu"));
        assertEquals(8, Checkpoint.read(ck).step());
    }

    private static List<String> names(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
