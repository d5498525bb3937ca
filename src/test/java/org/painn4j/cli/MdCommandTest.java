package org.painn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.model.SafeTensors;
import org.painn4j.testing.RandomModels;

/** The md command line: usage errors, and which stream the progress line goes to. */
class MdCommandTest {

    /** Option values that do not parse are one line, as every other user error, for every command. */
    @Test
    void parameterErrorsAreOneLine() {
        CliRun r = CliRun.of("md", "--steps", "abc");
        assertEquals(Main.BAD_INPUT, r.code());
        assertEquals("painn4j: Invalid value for option '--steps': 'abc' is not a long; see 'painn4j md --help'",
                r.errLine());
        for (String[] args : List.of(new String[] {"md", "--device", "tpu"}, new String[] {"md", "--dt", "x"},
                new String[] {"energy", "--input", "a", "--output", "b", "--frobnicate"}, new String[] {},
                new String[] {"info", "--nonsense"}, new String[] {"frobnicate"})) {
            r = CliRun.of(args);
            assertEquals(Main.BAD_INPUT, r.code(), String.join(" ", args));
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.errLine().startsWith("painn4j: ") && r.errLine().contains("--help'"), r.errLine());
        }
    }

    /**
     * A masses column other than the table's (deuterium here, or values that are no masses) is
     * named as not used; the table's is not.
     */
    @Test
    void anInputMassesColumnIsNamedWhenItDiffers(@TempDir Path dir) throws IOException {
        String model = "weights/painn-test-random.safetensors";
        for (String hydrogen : new String[] {"2.014", "1.008", "nan"}) {
            Path in = dir.resolve("h" + hydrogen + ".extxyz");
            Files.writeString(in, "3\nProperties=species:S:1:pos:R:3:masses:R:1\n"
                    + "O 0 0 0 15.999\nH 0.96 0 0 " + hydrogen + "\nH -0.24 0.93 0 " + hydrogen + "\n");
            CliRun r = CliRun.of("md", "--model", model, "--input", in.toString(), "--device", "cpu", "--steps", "2",
                    "--log", dir.resolve("md.log").toString(), "--trajectory", dir.resolve("md.extxyz").toString());
            assertEquals(0, r.code(), r.err());
            boolean named = r.out().contains("the input's masses column is not used");
            assertEquals(!hydrogen.equals("1.008"), named, r.out());
            assertEquals(named, r.out().contains("give --masses input to use the column"), r.out());
        }
    }

    /**
     * --masses input takes the masses column of each replica's frame, which must be there and
     * hold positive finite masses; every refusal is one line that names the file, frame and line.
     */
    @Test
    void inputMassesAreCheckedInOneLine(@TempDir Path dir) throws IOException {
        String model = "weights/painn-test-random.safetensors";
        String water = "O 0 0 0 %s\nH 0.96 0 0 %s\nH -0.24 0.93 0 %s\n";
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("3\nProperties=species:S:1:pos:R:3\nO 0 0 0\nH 0.96 0 0\nH -0.24 0.93 0\n",
                "frame 0 (line 1): --masses input: the frame has no masses column");
        cases.put("3\nProperties=species:S:1:pos:R:3:masses:R:1\n" + String.format(water, "16", "-1", "2.014"),
                "frame 0 (line 1): --masses input: atom 1 has mass -1.0; masses must be positive and finite");
        cases.put("3\nProperties=species:S:1:pos:R:3:masses:R:1\n" + String.format(water, "16", "2.014", "0"),
                "frame 0 (line 1): --masses input: atom 2 has mass 0.0; masses must be positive and finite");
        cases.put("3\nProperties=species:S:1:pos:R:3:masses:R:1\n" + String.format(water, "nan", "2", "2"),
                "frame 0 (line 1): --masses input: atom 0 has mass NaN; masses must be positive and finite");
        cases.put("3\nProperties=species:S:1:pos:R:3:masses:R:1\n" + String.format(water, "16", "inf", "2"),
                "frame 0 (line 1): --masses input: atom 1 has mass Infinity; masses must be positive and finite");
        cases.put("3\nProperties=species:S:1:pos:R:3:masses:I:1\n" + String.format(water, "16", "2", "2"),
                "frame 0 (line 1): --masses input: the frame's masses column is masses:I:1, not masses:R:1");
        int k = 0;
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path in = dir.resolve("in" + k++ + ".extxyz");
            Files.writeString(in, c.getKey());
            CliRun r = CliRun.of("md", "--model", model, "--input", in.toString(), "--device", "cpu", "--masses",
                    "input", "--log", dir.resolve("md.log").toString(), "--trajectory",
                    dir.resolve("md.extxyz").toString());
            assertEquals(Main.BAD_INPUT, r.code(), r.err());
            assertEquals("painn4j: " + in + ": " + c.getValue() + "\n", r.err());
        }
        // replica 1 starts from frame 1, whose column is missing
        Path two = dir.resolve("two.extxyz");
        Files.writeString(two, "3\nProperties=species:S:1:pos:R:3:masses:R:1\n" + String.format(water, "16", "2", "2")
                + "3\nProperties=species:S:1:pos:R:3\nO 0 0 0\nH 0.96 0 0\nH -0.24 0.93 0\n");
        CliRun r = CliRun.of("md", "--model", model, "--input", two.toString(), "--device", "cpu", "--masses", "input",
                "--replicas", "2", "--log", dir.resolve("md.log").toString(), "--trajectory",
                dir.resolve("md.extxyz").toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.err());
        assertEquals("painn4j: " + two + ": frame 1 (line 6): --masses input: the frame has no masses column\n",
                r.err());

        r = CliRun.of("md", "--masses", "foo");
        assertEquals(Main.BAD_INPUT, r.code(), r.err());
        assertEquals("painn4j: --masses: unknown source of masses 'foo' (table or input)\n", r.err());
        assertTrue(CliRun.of("md", "--help").out().contains("--masses=table|input"));
    }

    @Test
    void terminalsAreTold() {
        assertTrue(MdCommand.isTerminal("/dev/pts/3"));
        assertTrue(MdCommand.isTerminal("/dev/tty1"));
        assertTrue(MdCommand.isTerminal("/dev/tty"));
        assertFalse(MdCommand.isTerminal("pipe:[81723]"));
        assertFalse(MdCommand.isTerminal("/home/me/err.txt"));
        assertFalse(MdCommand.isTerminal("/dev/null"));
        assertFalse(MdCommand.isTerminal("socket:[1234]"));
    }

    /**
     * In a pseudo-terminal (util-linux script): the progress line goes to standard error exactly
     * when standard error is the terminal, whatever standard input and output are.
     */
    @Test
    void progressOnlyWhenStandardErrorIsATerminal(@TempDir Path dir) throws Exception {
        Path script = Path.of("/usr/bin/script");
        assumeTrue(Files.isExecutable(script) && Files.isDirectory(Path.of("/proc/self/fd")), "no script(1) here");
        Map<String, String> md = RandomModels.metadata(8, 1, 8, 4.0, "gaussian");
        Path model = dir.resolve("small.safetensors");
        SafeTensors.write(model, md, RandomModels.tensors(md, 7, "F64"));
        String java = ProcessHandle.current().info().command().orElse("java");
        String run = q(java) + " -cp " + q(System.getProperty("java.class.path")) + " " + Main.class.getName()
                + " md --device cpu --model " + q(model.toString()) + " --input "
                + q(Path.of("weights", "examples", "ethanol.extxyz").toAbsolutePath().toString())
                + " --steps 20 --log " + q(dir.resolve("md.log").toString()) + " --trajectory "
                + q(dir.resolve("md.extxyz").toString());

        // stdin and stdout the terminal, stderr a file: no progress in the file
        Path errFile = dir.resolve("err.txt");
        String terminal = inTerminal(run + " 2> " + q(errFile.toString()), dir);
        assertTrue(terminal.contains("painn4j: md: 20 steps"), terminal);
        assertEquals("", Files.readString(errFile), "a clean run leaves standard error empty");

        // stdout a file (as with | tee), stderr the terminal: the progress line is there
        Path outFile = dir.resolve("out.txt");
        terminal = inTerminal(run + " > " + q(outFile.toString()), dir);
        assertTrue(terminal.contains("\rstep "), terminal);
        assertTrue(Files.readString(outFile).contains("painn4j: md: 20 steps"));
    }

    private static String inTerminal(String command, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/usr/bin/script", "-qec", command, "/dev/null").directory(dir.toFile())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "script did not end");
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    private static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
