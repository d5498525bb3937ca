package org.painn4j.gradcheck;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.GradCheck;
import org.painn4j.calc.Result;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.Structure;

/**
 * Forces and stress of an engine against central differences of the float64 reference energy,
 * for every coordinate of molecules and of periodic, triclinic and slab cells. One subclass per
 * engine; the same cases for all of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class GradcheckSuite {
    private static final double STEP = 1e-5;
    private final Map<String, double[]> worst = new ConcurrentHashMap<>();
    private final Map<String, Double> virial = new ConcurrentHashMap<>();

    protected abstract Engine engine();

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("ethanol", "shipped", TestStructures.ethanol()),
                Arguments.of("water", "shipped", TestStructures.water()),
                Arguments.of("cluster-24", "shipped", TestStructures.cluster(24, 5)),
                Arguments.of("cube-4.5A", "shipped", TestStructures.smallCube()),
                Arguments.of("cube-3A-self-images", "shipped", TestStructures.tinyCube()),
                Arguments.of("triclinic", "shipped", TestStructures.triclinic()),
                Arguments.of("slab-TTF", "shipped", TestStructures.slab()),
                Arguments.of("ethanol", "bessel-shared", TestStructures.ethanol()),
                Arguments.of("triclinic", "bessel-shared", TestStructures.triclinic()),
                Arguments.of("slab-TTF", "bessel-shared", TestStructures.slab()));
    }

    static PainnModel model(String name) {
        return name.equals("shipped") ? TestModels.shipped() : TestModels.besselShared();
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("cases")
    void forcesAndStressMatchCentralDifferences(String structureName, String modelName, Structure s) {
        PainnModel model = model(modelName);
        Engine engine = engine();
        try (Calculator calc = engine.factory().apply(model)) {
            Result r = calc.compute(s);
            GradCheck.Report rep = GradCheck.compare(r, new CpuCalculator(model), s, STEP);
            worst.merge(engine.name(), new double[] {rep.forceError(), Double.isNaN(rep.stressError()) ? 0 : rep.stressError()},
                    (a, b) -> new double[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])});
            assertTrue(rep.maxForce() > 1e-3, "forces too small to test anything: " + rep.maxForce());
            assertTrue(rep.forceError() <= engine.forceTolerance(), engine.name() + " " + structureName
                    + ": |ΔF| = " + rep.forceError() + " eV/Å at atom " + rep.worstAtom() + " axis " + rep.worstAxis());
            if (s.fullyPeriodic()) {
                assertTrue(rep.stressError() <= engine.stressTolerance(), engine.name() + " " + structureName
                        + ": |Δσ| = " + rep.stressError() + " eV/Å³");
            }
            if (s.anyPeriodic()) {
                // the virial ∂E/∂ε, reported for slabs too: held to the stress tolerance of a
                // fully periodic cell of the same volume (the open axis's row spans the slab)
                assertTrue(rep.virialError() <= engine.stressTolerance() * Math.abs(s.volume()),
                        engine.name() + " " + structureName + ": |ΔW| = " + rep.virialError() + " eV");
                virial.merge(engine.name(), rep.virialError(), Math::max);
            }
        }
    }

    @AfterAll
    void report() {
        worst.forEach((name, w) -> System.out.printf(
                "gradcheck %s: worst |F - F_fd| = %.3e eV/Å, worst |σ - σ_fd| = %.3e eV/Å³, worst |W - W_fd| = %.3e eV%n",
                name, w[0], w[1], virial.getOrDefault(name, Double.NaN)));
    }
}
