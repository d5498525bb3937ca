package org.painn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

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
}
