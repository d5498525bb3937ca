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

    /** Every command that takes --threads, on the CPU; none may write a file when refused. */
    private String[][] everyCommand() {
        String x = "weights/examples/ethanol.extxyz";
        return new String[][] {
            {"energy", "--model", MODEL, "--input", x, "--output", dir.resolve("o.extxyz").toString(), "--device", "cpu"},
            {"md", "--model", MODEL, "--input", x, "--device", "cpu", "--log", dir.resolve("x.log").toString(),
                "--trajectory", dir.resolve("x.extxyz").toString()},
            {"gradcheck", "--model", MODEL, "--input", x, "--device", "cpu"},
            {"bench", "--model", MODEL, "--device", "cpu", "--sizes", "5"},
            {"ipi", "--model", MODEL, "--input", x, "--device", "cpu", "--port", "1", "--connect-timeout", "0"},
        };
    }

    @Test
    void fewerThanOneThreadIsOneLine() {
        for (String[] run : everyCommand()) {
            CliRun r = CliRun.of(concat(run, "--threads", "0"));
            assertEquals(2, r.code(), run[0] + ": " + r.err());
            assertEquals("painn4j: --threads must be at least 1, got 0", r.errLine(), run[0]);
        }
        assertTrue(!Files.exists(dir.resolve("x.log")) && !Files.exists(dir.resolve("o.extxyz")), "nothing written");
    }

    @Test
    void moreThreadsThanTheCapIsOneLineBeforeAnyWork() {
        int cap = EngineOptions.maxThreads(Runtime.getRuntime().availableProcessors());
        for (String count : new String[] {String.valueOf(cap + 1), "100000", String.valueOf(Integer.MAX_VALUE)}) {
            for (String[] run : everyCommand()) {
                CliRun r = CliRun.of(concat(run, "--threads", count));
                assertEquals(2, r.code(), run[0] + ": " + r.err());
                assertTrue(r.errLine().matches("painn4j: --threads must be at most " + cap
                        + " on this machine of \\d+ cores? \\(4 per core, never below 64\\), got " + count), r.err());
            }
        }
        assertTrue(!Files.exists(dir.resolve("x.log")) && !Files.exists(dir.resolve("o.extxyz")), "nothing written");
    }

    /** More threads than cores is allowed up to the cap: they only spin while they wait. */
    @Test
    void theCapItselfIsAllowedAndGivesTheSameBits() throws IOException {
        String in = "weights/examples/ethanol.extxyz";
        int cap = EngineOptions.maxThreads(Runtime.getRuntime().availableProcessors());
        Path one = dir.resolve("one.extxyz");
        Path many = dir.resolve("many.extxyz");
        CliRun a = CliRun.of("energy", "--model", MODEL, "--input", in, "--output", one.toString(),
                "--device", "cpu", "--threads", "1");
        CliRun b = CliRun.of("energy", "--model", MODEL, "--input", in, "--output", many.toString(),
                "--device", "cpu", "--threads", String.valueOf(cap));
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertEquals(Files.readString(one), Files.readString(many));
    }

    @Test
    void theCapIsFourPerCoreAndNeverBelowSixtyFour() {
        assertEquals(64, EngineOptions.maxThreads(1));
        assertEquals(64, EngineOptions.maxThreads(16));
        assertEquals(128, EngineOptions.maxThreads(32));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
