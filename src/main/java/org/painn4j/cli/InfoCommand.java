package org.painn4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.painn4j.model.Dense;
import org.painn4j.model.PainnConfig;
import org.painn4j.model.PainnModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** painn4j info: a model's configuration and size. */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Prints a model's configuration and parameter count.")
final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PainnModel m = model.load();
        PainnConfig c = m.config;
        PrintWriter out = spec.commandLine().getOut();
        StringBuilder readout = new StringBuilder(Integer.toString(c.nAtomBasis()));
        for (Dense d : m.outnet) {
            readout.append(" -> ").append(d.out());
        }
        out.printf(Locale.ROOT, "name                 %s%n", c.name().isEmpty() ? "(none)" : c.name());
        if (!c.description().isEmpty()) {
            out.printf(Locale.ROOT, "description          %s%n", c.description());
        }
        out.printf(Locale.ROOT, "n_atom_basis (F)     %d%n", c.nAtomBasis());
        out.printf(Locale.ROOT, "n_interactions (L)   %d%n", c.nInteractions());
        out.printf(Locale.ROOT, "n_rbf (K)            %d%n", c.nRbf());
        out.printf(Locale.ROOT, "cutoff               %s Å (cosine)%n", c.cutoff());
        out.printf(Locale.ROOT, "radial_basis         %s%n", c.radialBasis().key());
        out.printf(Locale.ROOT, "activation           silu%n");
        out.printf(Locale.ROOT, "epsilon              %s%n", c.epsilon());
        out.printf(Locale.ROOT, "shared_filters       %s%n", c.sharedFilters());
        out.printf(Locale.ROOT, "shared_interactions  %s%n", c.sharedInteractions());
        out.printf(Locale.ROOT, "readout              %s (silu between layers)%n", readout);
        out.printf(Locale.ROOT, "elements             Z = 1..%d%n", m.maxAtomicNumber());
        out.printf(Locale.ROOT, "energy.atomref       %s%n", m.atomref == null ? "absent" : "present");
        out.printf(Locale.ROOT, "energy.mean_per_atom %s%n", m.hasMeanPerAtom ? m.meanPerAtom + " eV" : "absent");
        out.printf(Locale.ROOT, "parameters           %,d%n", m.parameterCount());
        return 0;
    }
}
