package org.painn4j.calc;

import java.util.ArrayList;
import java.util.List;
import org.painn4j.structure.Structure;

/**
 * The one seam between the PaiNN engines (CPU float64 reference, GPU float32/float64) and
 * everything that drives them: the command line, molecular dynamics, the i-PI client.
 */
public interface Calculator extends AutoCloseable {

    /** Energy, per-atom energies, forces, and the stress for a fully periodic structure. */
    Result compute(Structure structure);

    /** The energy alone; engines override this when a forward pass is cheaper. */
    default double energy(Structure structure) {
        return compute(structure).energy();
    }

    /** The energies of several structures; engines that evaluate several at a time override this. */
    default double[] energies(List<Structure> structures) {
        double[] e = new double[structures.size()];
        for (int i = 0; i < e.length; i++) {
            e[i] = energy(structures.get(i));
        }
        return e;
    }

    /** Several structures; engines that batch override this. */
    default List<Result> compute(List<Structure> structures) {
        List<Result> results = new ArrayList<>(structures.size());
        for (Structure s : structures) {
            results.add(compute(s));
        }
        return results;
    }

    /** A short description for logs, e.g. {@code cpu float64}. */
    String describe();

    @Override
    default void close() {
    }
}
