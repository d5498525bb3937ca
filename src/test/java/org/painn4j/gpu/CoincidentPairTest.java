package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.painn4j.InputException;

/** The neighbor search reports a coincident pair as i << 32 | j; its refusal names both atoms, in that order. */
class CoincidentPairTest {
    @Test
    void aPairNamesBothAtomsInOrder() {
        InputException e = GpuCalculator.coincident("", (7L << 32) | 3);
        assertEquals("atoms 7 and 3 are at the same position (closer than 1.0E-4 Å)", e.getMessage());
        assertArrayEquals(new int[] {7, 3}, e.atoms());
    }

    @Test
    void anAtomOnItsOwnImageNamesOneAtom() {
        InputException e = GpuCalculator.coincident("structure 2: ", (5L << 32) | 5);
        assertEquals("structure 2: atom 5 is at the same position as one of its periodic images", e.getMessage());
        assertArrayEquals(new int[] {5}, e.atoms());
    }

    @Test
    void largeIndicesSurviveTheDecoding() {
        InputException e = GpuCalculator.coincident("", (70_000L << 32) | 1_048_575L);
        assertArrayEquals(new int[] {70_000, 1_048_575}, e.atoms());
    }
}
