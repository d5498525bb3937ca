package org.painn4j.cpu;

import java.util.List;
import java.util.function.IntConsumer;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Result;
import org.painn4j.calc.Virial;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.NeighborList;
import org.painn4j.structure.Structure;

/**
 * The float64 reference engine: plain Java, each PaiNN stage a forward/backward pair, forces
 * and stress from the hand-derived backward pass of docs/derivation.md. Readable before fast;
 * every other engine is checked against this one.
 *
 * <p>The loops over rows, atoms and edges run on a team of threads ({@link Parallel},
 * {@link Team}), and a list of at least as many structures as threads is evaluated several at a
 * time; the results are the same bits for any number of threads.
 */
public final class CpuCalculator implements Calculator {
    private final PainnModel model;
    private final Team team;
    private final boolean ownTeam;

    /** On every core (a team shared by such calculators). */
    public CpuCalculator(PainnModel model) {
        this.model = model;
        this.team = Team.shared();
        this.ownTeam = false;
    }

    /** On {@code threads} threads of a team of its own, released by {@link #close()}. */
    public CpuCalculator(PainnModel model, int threads) {
        this.model = model;
        this.team = new Team(threads);
        this.ownTeam = true;
    }

    @Override
    public void close() {
        if (ownTeam) {
            team.close();
        }
    }

    public PainnModel model() {
        return model;
    }

    @Override
    public String describe() {
        return "cpu float64";
    }

    /** The neighbor search's blocks of rows, on the team of the evaluation. */
    private static void blocks(int count, IntConsumer block) {
        Parallel.range(count, 1, (from, to) -> {
            for (int b = from; b < to; b++) {
                block.accept(b);
            }
        });
    }

    /** The forward pass with everything the backward pass needs. */
    private final class Forward {
        final Structure structure;
        final NeighborList list;
        final Radial.Edges edges;
        final double[][] vIn;
        final Message.Saved[] message;
        final Mixing.Saved[] mixing;
        final Readout.Saved readout;
        final double energy;

        Forward(Structure structure) {
            int layers = model.config.nInteractions();
            int f = model.config.nAtomBasis();
            int n = structure.size();
            model.checkAtomicNumbers(structure.numbers());
            this.structure = structure;
            this.list = NeighborList.build(structure, model.config.cutoff(), CpuCalculator::blocks);
            this.edges = Radial.forward(model, list.vector);
            double[] s = new double[n * f];
            for (int i = 0; i < n; i++) {
                System.arraycopy(model.embedding, structure.number(i) * f, s, i * f, f);
            }
            double[] v = new double[n * 3 * f];
            vIn = new double[layers][];
            message = new Message.Saved[layers];
            mixing = new Mixing.Saved[layers];
            for (int l = 0; l < layers; l++) {
                vIn[l] = v;
                message[l] = Message.forward(model, l, list, edges, s, v);
                mixing[l] = Mixing.forward(model, l, n, message[l].sOut(), message[l].vOut());
                s = mixing[l].sOut();
                v = mixing[l].vOut();
            }
            readout = Readout.forward(model, structure.numbers(), s);
            double e = 0;
            for (double y : readout.energies()) {
                e += y;
            }
            energy = e;
        }
    }

    @Override
    public double energy(Structure structure) {
        return team.within(() -> new Forward(structure).energy);
    }

    @Override
    public Result compute(Structure structure) {
        return team.within(() -> evaluate(structure));
    }

    /** Several structures; each result is the same as alone. */
    @Override
    public List<Result> compute(List<Structure> structures) {
        Result[] results = new Result[structures.size()];
        each(results.length, i -> results[i] = evaluate(structures.get(i)));
        return List.of(results);
    }

    /** Several energies; each the same as alone. */
    @Override
    public double[] energies(List<Structure> structures) {
        double[] energies = new double[structures.size()];
        each(energies.length, i -> energies[i] = new Forward(structures.get(i)).energy);
        return energies;
    }

    /**
     * Runs work(i) for i in [0, n): with at least as many structures as threads, a structure per
     * thread at a time (each alone on its thread); with fewer, one after another, each on the team.
     */
    private void each(int n, IntConsumer work) {
        team.within(() -> {
            if (n >= team.threads()) {
                team.run(n, work);
            } else {
                for (int i = 0; i < n; i++) {
                    work.accept(i);
                }
            }
            return null;
        });
    }

    private Result evaluate(Structure structure) {
        Forward fw = new Forward(structure);
        int n = structure.size();
        int layers = model.config.nInteractions();
        int edgeCount = fw.list.edges();
        double[] gs = Readout.backward(model, n, fw.readout);
        double[] gv = new double[n * 3 * model.config.nAtomBasis()];
        double[] gPhi = new double[edgeCount * model.config.nRbf()];
        double[] gFc = new double[edgeCount];
        double[] gU = new double[3 * edgeCount];
        for (int l = layers - 1; l >= 0; l--) {
            Mixing.Grad mg = Mixing.backward(model, l, n, fw.mixing[l], gs, gv);
            Message.Grad ig = Message.backward(model, l, fw.list, fw.edges, fw.vIn[l], fw.message[l],
                    mg.gs(), mg.gv(), gPhi, gFc, gU);
            gs = ig.gs();
            gv = ig.gv();
        }
        double[] gr = Radial.backward(fw.edges, gPhi, gFc, gU);
        double[] forces = new double[3 * n];
        double[] virial = new double[9];
        for (int e = 0; e < edgeCount; e++) {
            int i = fw.list.center[e];
            int j = fw.list.neighbor[e];
            for (int a = 0; a < 3; a++) {
                forces[3 * i + a] += gr[3 * e + a];
                forces[3 * j + a] -= gr[3 * e + a];
                for (int b = 0; b < 3; b++) {
                    virial[3 * a + b] += fw.list.vector[3 * e + a] * gr[3 * e + b];
                }
            }
        }
        return new Result(fw.energy, fw.readout.energies(), forces, Virial.stress(structure, virial),
                Virial.symmetric(structure, virial), edgeCount);
    }
}
