package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.painn4j.structure.Structure;

class MdLogTest {
    @Test
    void headerIsAses() {
        assertEquals("Time[ps]      Etot[eV]     Epot[eV]     Ekin[eV]    T[K]", MdLog.HEADER);
    }

    /** Python's % rounds the exact binary value, ties to even; Java's %f would not. */
    @Test
    void numbersRoundAsPythonDoes() {
        assertEquals("0.12", MdLog.fixed(0.125, 2));
        assertEquals("0.38", MdLog.fixed(0.375, 2));
        assertEquals("2.67", MdLog.fixed(2.675, 2));
        assertEquals("0.9", MdLog.fixed(0.95, 1)); // String.format gives 1.0
        assertEquals("-0.0000", MdLog.fixed(-1e-9, 4));
        assertEquals("-0.0", MdLog.fixed(-0.0, 1));
        assertEquals("-61.0877", MdLog.fixed(-61.08765507483109, 4));
        assertEquals("inf", MdLog.fixed(Double.POSITIVE_INFINITY, 4));
        assertEquals("nan", MdLog.fixed(Double.NaN, 4));
    }

    @Test
    void decimalsDependOnSizeAsInAse() {
        assertEquals(4, MdLog.digits(100));
        assertEquals(3, MdLog.digits(101));
        assertEquals(2, MdLog.digits(10000));
        assertEquals(1, MdLog.digits(10001));
    }

    @Test
    void lineLayout() {
        Structure s = Structure.molecule(new int[] {1}, new double[3]);
        double[] m = {1.008};
        double[] p = {1, 0, 0};
        StringWriter out = new StringWriter();
        MdLog log = new MdLog(out, "test", 1);
        log.header();
        log.write(new MdState(20, s, m, p, new double[3], -1.5, 0), 0.5);
        // "%-10.4f " then three "%12.4f " then " %6.1f"
        double ekin = 0.5 / 1.008;
        String expected = String.format("%-10s %12s %12s %12s  %6s%n", "0.0100", MdLog.fixed(ekin - 1.5, 4),
                "-1.5000", MdLog.fixed(ekin, 4), MdLog.fixed(2 * ekin / (3 * MdUnits.KB), 1));
        assertEquals(MdLog.HEADER + "\n" + expected, out.toString());
    }
}
