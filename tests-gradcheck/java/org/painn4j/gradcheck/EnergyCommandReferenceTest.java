package org.painn4j.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.painn4j.cli.Main;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;

/**
 * `painn4j energy` on the committed reference structures reproduces the PyTorch reference:
 * the whole path a user takes — extended XYZ in, the model file, the CPU engine, extended XYZ
 * out — and not only the engine.
 */
class EnergyCommandReferenceTest {
    @TempDir
    Path dir;

    static List<ReferenceFiles.Case> cases() {
        return ReferenceFiles.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void energyCommandReproducesTheReference(ReferenceFiles.Case c) {
        Path out = dir.resolve("out.extxyz");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"energy", "--model", c.model().toString(), "--input", c.structureFile().toString(),
            "--output", out.toString(), "--device", "cpu"}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        Frame f = ExtXyz.read(out).get(0);
        assertTrue(Math.abs(f.energy() - c.energy()) <= 1e-12 * Math.abs(c.energy()), "energy " + f.energy() + " vs " + c.energy());
        for (int k = 0; k < c.forces().length; k++) {
            assertEquals(c.forces()[k], f.forces()[k], 1e-12, "force component " + k);
        }
        if (c.stress() == null) {
            assertNull(f.stress());
        } else {
            for (int k = 0; k < 9; k++) {
                assertEquals(c.stress()[k], f.stress()[k], 1e-12, "stress component " + k);
            }
        }
    }
}
