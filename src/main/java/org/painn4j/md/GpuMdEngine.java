package org.painn4j.md;

import java.util.List;
import java.util.function.Supplier;
import org.painn4j.gpu.DeviceDynamics;
import org.painn4j.gpu.GpuCalculator;
import org.painn4j.structure.Structure;

/**
 * The device-resident engine: each replica's positions, momenta and forces stay on the GPU, and
 * a CUDA graph of a whole time step ({@link DeviceDynamics}) is replayed for every step; the
 * host reads a replica back only when {@link #state} asks, at output intervals and checkpoints.
 * It integrates the same equations as {@link CpuMdEngine} (velocity Verlet; BAOAB with the same
 * Philox mapping), in float64 whatever the force precision.
 *
 * <p>Replicas are advanced one after another, each with its own calculator and stream.
 */
public final class GpuMdEngine implements MdEngine {
    private final GpuCalculator[] calculators;
    private final DeviceDynamics[] replicas;
    private final long[] seeds;
    private final double[][] masses;
    private final Structure[] templates;
    private final MdSettings settings;
    private long step;

    /**
     * @param first the calculator of replica 0
     * @param more  makes the calculators of the other replicas (same model and precision)
     */
    public GpuMdEngine(GpuCalculator first, Supplier<GpuCalculator> more, MdSettings settings, List<MdState> start) {
        if (start.isEmpty()) {
            throw new IllegalArgumentException("at least one replica is needed");
        }
        this.settings = settings;
        int r = start.size();
        calculators = new GpuCalculator[r];
        replicas = new DeviceDynamics[r];
        seeds = new long[r];
        masses = new double[r][];
        templates = new Structure[r];
        step = start.get(0).step();
        for (int i = 0; i < r; i++) {
            MdState s = start.get(i);
            if (s.step() != step) {
                throw new IllegalArgumentException("replica " + i + " is at step " + s.step() + ", replica 0 at " + step);
            }
            calculators[i] = i == 0 ? first : more.get();
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
            try {
                replicas[i] = new DeviceDynamics(calculators[i], st, s.masses(), s.momenta(), s.forces(), s.energy(),
                        step, settings(settings, s.seed()));
            } catch (DeviceDynamics.Unstable e) {
                throw new UnstableException(e.step(), r == 1 ? -1 : i, e.getMessage());
            }
        }
    }

    static DeviceDynamics.Settings settings(MdSettings s, long seed) {
        boolean langevin = s.thermostat() == Thermostat.LANGEVIN;
        double c1 = langevin ? StrictMath.exp(-s.dtFs() * s.frictionPerFs()) : 1.0;
        double c2 = langevin ? Math.sqrt((1 - c1 * c1) * MdUnits.KB * s.temperatureK()) : 0.0;
        return new DeviceDynamics.Settings(langevin, s.dt(), c1, c2, seed);
    }

    @Override
    public int replicas() {
        return replicas.length;
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public void advance(int n) {
        for (int i = 0; i < replicas.length; i++) {
            try {
                replicas[i].advance(n);
            } catch (DeviceDynamics.Unstable e) {
                throw new UnstableException(e.step(), replicas.length == 1 ? -1 : i, e.getMessage());
            }
        }
        step += n;
    }

    @Override
    public MdState state(int replica) {
        DeviceDynamics.State s = replicas[replica].state();
        return new MdState(s.step(), templates[replica].withPositions(s.positions()), masses[replica], s.momenta(),
                s.forces(), s.energy(), seeds[replica]);
    }

    @Override
    public String describe() {
        return (settings.thermostat() == Thermostat.NONE ? "velocity Verlet" : "Langevin BAOAB") + " on "
                + replicas[0].describe();
    }

    @Override
    public void close() {
        for (int i = 0; i < replicas.length; i++) {
            replicas[i].close();
            if (i > 0) {
                calculators[i].close();
            }
        }
    }
}
