package org.painn4j.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ElementsTest {

    @Test
    void massesAreAseDefaults() {
        assertEquals(1.008, Elements.mass(1));
        assertEquals(12.011, Elements.mass(6));
        assertEquals(15.999, Elements.mass(8));
        assertEquals(63.546, Elements.mass(29));
        assertEquals(4.002602, Elements.mass(2));
        assertEquals(294.214, Elements.mass(118));
    }

    @Test
    void symbolsBothWays() {
        assertEquals("H", Elements.symbol(1));
        assertEquals("Cl", Elements.symbol(17));
        assertEquals("Og", Elements.symbol(118));
        assertEquals(6, Elements.number("C"));
        assertEquals(17, Elements.number("Cl"));
        assertEquals(29, Elements.number("Cu"));
        for (int z = 1; z <= Elements.MAX_Z; z++) {
            assertEquals(z, Elements.number(Elements.symbol(z)));
        }
    }

    @Test
    void unknownSymbolsAndNumbers() {
        assertEquals(-1, Elements.number("cl"));
        assertEquals(-1, Elements.number("CL"));
        assertEquals(-1, Elements.number("X"));
        assertEquals(-1, Elements.number(""));
        assertThrows(IllegalArgumentException.class, () -> Elements.symbol(0));
        assertThrows(IllegalArgumentException.class, () -> Elements.mass(119));
    }
}
