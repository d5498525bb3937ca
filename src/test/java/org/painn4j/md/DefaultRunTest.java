package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;

/**
 * {@code painn4j md} with no arguments at all, in a fresh directory: the shipped model and the
 * example molecule are found beside the classes, and md.log and md.extxyz land in the directory.
 * A separate JVM, because only a new process has its own working directory.
 */
class DefaultRunTest {
    @Test
    void noArgumentsRunsTheExample(@TempDir Path dir) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path errFile = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.painn4j.cli.Main", "md")
                .directory(dir.toFile()).redirectError(errFile.toFile()).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), text);
        assertEquals(0, p.exitValue(), text + Files.readString(errFile));
        assertEquals("", Files.readString(errFile));
        Path log = dir.resolve("md.log");
        Path traj = dir.resolve("md.extxyz");
        assertTrue(text.contains("log in " + log.toRealPath()) || text.contains("log in " + log.toAbsolutePath()), text);
        assertTrue(text.contains("trajectory in " + traj.toRealPath()) || text.contains("trajectory in " + traj.toAbsolutePath()), text);
        List<String> lines = Files.readAllLines(log);
        assertEquals(MdLog.HEADER, lines.get(0));
        assertEquals(22, lines.size(), "200 steps every 10, step 0 included");
        List<Frame> frames = ExtXyz.read(traj);
        assertEquals(21, frames.size());
        assertEquals(9, frames.get(20).structure().size());
        assertTrue(frames.get(20).hasMomenta() && frames.get(20).hasForces() && frames.get(20).energy() != null);
        assertTrue(lines.get(1).startsWith("0.0000 "), lines.get(1));
        assertTrue(lines.get(21).startsWith("0.1000 "), lines.get(21));
        assertTrue(new File(dir.toFile(), "md.log").length() > 0);
    }
}
