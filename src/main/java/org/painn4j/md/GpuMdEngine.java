package org.painn4j.md;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.painn4j.gpu.DeviceDynamics;
import org.painn4j.gpu.GpuCalculator;
import org.painn4j.structure.Structure;

/**
 * The device-resident engine: each replica's positions, momenta and forces stay on the GPU, and
 * a CUDA graph of a whole time step ({@link DeviceDynamics}) is replayed for every step; the
 * host reads the replicas back only when {@link #state} asks, at output intervals and
 * checkpoints. It integrates the same equations as {@link CpuMdEngine} (velocity Verlet; BAOAB
 * with the same Philox mapping), in float64 whatever the force precision.
 *
 * <p>Replicas of one batch class ({@link GpuCalculator#batchClass}) advance together, one
 * batched force call per step for all of them, up to GpuCalculator.BATCH_ATOMS atoms per batch;
 * a replica without partners (or larger than a batch) advances alone, each group with its own
 * calculator. Either way a replica's numbers are those it has when it runs alone.
 */
public final class GpuMdEngine implements MdEngine {
    private final GpuCalculator[] calculators;
    private final DeviceDynamics[] groups;
    /** The replicas of each group, in order. */
    private final List<List<Integer>> members;
    private final int[] groupOf;
    private final int[] indexInGroup;
    private final long[] seeds;
    private final double[][] masses;
    private final Structure[] templates;
    private final String description;
    private long step;

    /**
     * @param first the calculator of the first group of replicas
     * @param more  makes the calculators of the other groups (same model and precision)
     */
    public GpuMdEngine(GpuCalculator first, Supplier<GpuCalculator> more, MdSettings settings, List<MdState> start) {
        if (start.isEmpty()) {
            throw new IllegalArgumentException("at least one replica is needed");
        }
        int r = start.size();
        seeds = new long[r];
        masses = new double[r][];
        templates = new Structure[r];
        step = start.get(0).step();
        List<DeviceDynamics.Replica> replicas = new ArrayList<>(r);
        for (int i = 0; i < r; i++) {
            MdState s = start.get(i);
            if (s.step() != step) {
                throw new IllegalArgumentException("replica " + i + " is at step " + s.step() + ", replica 0 at " + step);
            }
            Structure st = s.structure();
            double[] x = st.positions();
            if (s.forces() == null) {
                // as the CPU engine does: a fresh start is wrapped before its first force call
                new Wrap(st.cell(), st.pbc()).apply(x);
                st = st.withPositions(x);
            }
            templates[i] = st;
            seeds[i] = s.seed();
            masses[i] = s.masses();
            replicas.add(new DeviceDynamics.Replica(st, s.masses(), s.momenta(), s.forces(), s.energy(), s.seed()));
        }
        members = groups(templates, first.model().config.cutoff());
        groupOf = new int[r];
        indexInGroup = new int[r];
        calculators = new GpuCalculator[members.size()];
        groups = new DeviceDynamics[members.size()];
        DeviceDynamics.Settings ds = settings(settings);
        for (int g = 0; g < members.size(); g++) {
            List<Integer> group = members.get(g);
            List<DeviceDynamics.Replica> these = new ArrayList<>(group.size());
            for (int k = 0; k < group.size(); k++) {
                groupOf[group.get(k)] = g;
                indexInGroup[group.get(k)] = k;
                these.add(replicas.get(group.get(k)));
            }
            try {
                calculators[g] = g == 0 ? first : more.get();
                groups[g] = new DeviceDynamics(calculators[g], these, step, ds);
            } catch (RuntimeException e) {
                closeGroups();
                if (e instanceof DeviceDynamics.Unstable u) {
                    throw new UnstableException(u.step(), r == 1 ? -1 : group.get(u.replica()), u.getMessage());
                }
                throw e;
            }
        }
        // kept: the summary names the engine after the run has closed it
        description = (settings.thermostat() == Thermostat.NONE ? "velocity Verlet" : "Langevin BAOAB") + " on "
                + groups[0].describe() + (groups.length > 1 ? " (" + groups.length + " batches of replicas)" : "");
    }

    /**
     * Replicas that advance together: those of one batch class, in batches of at most
     * GpuCalculator.BATCH_ATOMS atoms; a replica that suits no batch advances alone. Groups are
     * ordered by their first replica.
     */
    static List<List<Integer>> groups(Structure[] structures, double cutoff) {
        List<List<Integer>> groups = new ArrayList<>();
        Map<Integer, List<Integer>> open = new LinkedHashMap<>();
        Map<Integer, Integer> openAtoms = new LinkedHashMap<>();
        for (int i = 0; i < structures.length; i++) {
            int c = GpuCalculator.batchClass(structures[i], cutoff);
            int n = structures[i].size();
            if (c < 0) {
                groups.add(List.of(i));
                continue;
            }
            List<Integer> group = open.get(c);
            if (group == null || openAtoms.get(c) + n > GpuCalculator.BATCH_ATOMS) {
                group = new ArrayList<>();
                groups.add(group);
                open.put(c, group);
                openAtoms.put(c, 0);
            }
            group.add(i);
            openAtoms.merge(c, n, Integer::sum);
        }
        return groups;
    }

    static DeviceDynamics.Settings settings(MdSettings s) {
        boolean langevin = s.thermostat() == Thermostat.LANGEVIN;
        double c1 = langevin ? StrictMath.exp(-s.dtFs() * s.frictionPerFs()) : 1.0;
        double c2 = langevin ? Math.sqrt((1 - c1 * c1) * MdUnits.KB * s.temperatureK()) : 0.0;
        return new DeviceDynamics.Settings(langevin, s.dt(), c1, c2);
    }

    @Override
    public int replicas() {
        return templates.length;
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public void advance(int n) {
        for (int g = 0; g < groups.length; g++) {
            try {
                groups[g].advance(n);
            } catch (DeviceDynamics.Unstable e) {
                throw new UnstableException(e.step(), templates.length == 1 ? -1 : members.get(g).get(e.replica()),
                        e.getMessage());
            }
        }
        step += n;
    }

    @Override
    public MdState state(int replica) {
        DeviceDynamics.State s = groups[groupOf[replica]].state(indexInGroup[replica]);
        return new MdState(s.step(), templates[replica].withPositions(s.positions()), masses[replica], s.momenta(),
                s.forces(), s.energy(), seeds[replica]);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        closeGroups();
    }

    /** The groups' device state, and the calculators this engine made (the first is the caller's). */
    private void closeGroups() {
        for (int g = 0; g < groups.length; g++) {
            if (groups[g] != null) {
                groups[g].close();
                groups[g] = null;
            }
            if (g > 0 && calculators[g] != null) {
                calculators[g].close();
                calculators[g] = null;
            }
        }
    }
}
