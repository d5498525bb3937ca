package org.painn4j.gradcheck;

import java.util.function.Function;
import org.painn4j.calc.Calculator;
import org.painn4j.model.PainnModel;

/**
 * An engine under test: how to make its calculator for a model, and what its precision must
 * meet: forces (eV/Å) and stress (eV/Å³) against central differences of the float64 reference
 * energy, whose own truncation error bounds them; forces and stress against the PyTorch reference
 * files, and the relative energy error against those files, which in float64 are a rounding error
 * away; and the relative agreement of quantities that symmetry says are equal.
 */
record Engine(String name, Function<PainnModel, Calculator> factory, double forceTolerance,
              double stressTolerance, double referenceTolerance, double energyTolerance, double symmetryTolerance) {
}
