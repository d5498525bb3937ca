package org.painn4j.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Result;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.NeighborList;

/**
 * An engine against the independent PyTorch reference (autograd forces): energy, per-atom
 * energies, forces and stress of every committed case.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ReferenceSuite {
    private final Map<String, double[]> worst = new ConcurrentHashMap<>();

    protected abstract Engine engine();

    static List<ReferenceFiles.Case> cases() {
        return ReferenceFiles.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void agreesWithThePytorchReference(ReferenceFiles.Case c) {
        Engine engine = engine();
        PainnModel model = PainnModel.load(c.model());
        assertEquals(c.edges(), NeighborList.build(c.structure(), model.config.cutoff()).edges(), "edge count");
        try (Calculator calc = engine.factory().apply(model)) {
            Result r = calc.compute(c.structure());
            double relE = Math.abs(r.energy() - c.energy()) / Math.abs(c.energy());
            assertTrue(relE <= engine.energyTolerance(), c.name() + ": energy " + r.energy() + " vs " + c.energy());
            double eScale = 0;
            for (double e : c.energies()) {
                eScale = Math.max(eScale, Math.abs(e));
            }
            for (int i = 0; i < c.energies().length; i++) {
                assertEquals(c.energies()[i], r.energies()[i], engine.energyTolerance() * Math.max(1, eScale), "energy of atom " + i);
            }
            double worstF = 0;
            for (int k = 0; k < c.forces().length; k++) {
                double err = Math.abs(r.forces()[k] - c.forces()[k]);
                worstF = Math.max(worstF, Double.isNaN(err) ? Double.POSITIVE_INFINITY : err);
            }
            assertTrue(worstF <= engine.referenceTolerance(), c.name() + ": |ΔF| = " + worstF + " eV/Å");
            double worstS = 0;
            if (c.stress() == null) {
                assertNull(r.stress());
            } else {
                for (int k = 0; k < 9; k++) {
                    worstS = Math.max(worstS, Math.abs(r.stress()[k] - c.stress()[k]));
                }
                assertTrue(worstS <= engine.referenceTolerance(), c.name() + ": |Δσ| = " + worstS + " eV/Å³");
            }
            double fe = worstF;
            double se = worstS;
            worst.merge(engine.name(), new double[] {relE, fe, se},
                    (a, b) -> new double[] {Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.max(a[2], b[2])});
        }
    }

    @AfterAll
    void report() {
        worst.forEach((name, w) -> System.out.printf(
                "pytorch reference %s: worst relative |ΔE| = %.2e, |ΔF| = %.2e eV/Å, |Δσ| = %.2e eV/Å³%n",
                name, w[0], w[1], w[2]));
    }
}
