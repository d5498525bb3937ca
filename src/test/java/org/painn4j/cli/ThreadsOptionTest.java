package org.painn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --threads: the CPU engine's thread count changes no bit of what the commands write. */
class ThreadsOptionTest {
    @TempDir
    Path dir;

    private static final String MODEL = "tests-gradcheck/reference/models/model_b.safetensors";

    @Test
    void energyWritesTheSameFileOnOneThreadAndOnThree() throws IOException {
        String in = "tests-gradcheck/reference/structures/triclinic.extxyz";
        Path one = dir.resolve("one.extxyz");
        Path three = dir.resolve("three.extxyz");
        CliRun a = CliRun.of("energy", "--model", MODEL, "--input", in, "--output", one.toString(),
                "--device", "cpu", "--threads", "1");
        CliRun b = CliRun.of("energy", "--model", MODEL, "--input", in, "--output", three.toString(),
                "--device", "cpu", "--threads", "3");
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertEquals(Files.readString(one), Files.readString(three));
    }

    @Test
    void mdWritesTheSameTrajectoryOnOneThreadAndOnTwo() throws IOException {
        String[] common = {"md", "--model", MODEL, "--input", "weights/examples/aspirin.extxyz", "--device", "cpu",
            "--steps", "6", "--interval", "2", "--temperature", "300", "--thermostat", "langevin", "--seed", "4"};
        for (String t : new String[] {"1", "2"}) {
            CliRun r = CliRun.of(concat(common, "--threads", t, "--log", dir.resolve("md" + t + ".log").toString(),
                    "--trajectory", dir.resolve("md" + t + ".extxyz").toString()));
            assertEquals(0, r.code(), r.err());
        }
        assertEquals(Files.readString(dir.resolve("md1.extxyz")), Files.readString(dir.resolve("md2.extxyz")));
        assertEquals(Files.readString(dir.resolve("md1.log")), Files.readString(dir.resolve("md2.log")));
    }

    @Test
    void fewerThanOneThreadIsOneLine() {
        String x = "weights/examples/ethanol.extxyz";
        String[][] runs = {
            {"energy", "--model", MODEL, "--input", x, "--output", dir.resolve("o.extxyz").toString(), "--device", "cpu"},
            {"md", "--model", MODEL, "--input", x, "--device", "cpu", "--log", dir.resolve("x.log").toString(),
                "--trajectory", dir.resolve("x.extxyz").toString()},
            {"gradcheck", "--model", MODEL, "--input", x, "--device", "cpu"},
            {"bench", "--model", MODEL, "--device", "cpu", "--sizes", "5"},
        };
        for (String[] run : runs) {
            CliRun r = CliRun.of(concat(run, "--threads", "0"));
            assertEquals(2, r.code(), run[0] + ": " + r.err());
            assertEquals("painn4j: --threads must be at least 1, got 0", r.errLine(), run[0]);
        }
        assertTrue(!Files.exists(dir.resolve("x.log")) && !Files.exists(dir.resolve("o.extxyz")), "nothing written");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
