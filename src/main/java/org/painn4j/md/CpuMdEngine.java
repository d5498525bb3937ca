package org.painn4j.md;

import java.util.ArrayList;
import java.util.List;
import org.painn4j.InputException;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Result;
import org.painn4j.structure.Structure;

/**
 * The reference engine: the integrators in Java, forces from any {@link Calculator}, all replicas
 * evaluated in one {@link Calculator#compute(List)} call per step. With a GPU calculator the
 * forces come from the device but positions and momenta cross the bus every step; a
 * device-resident {@link MdEngine} avoids that.
 */
public final class CpuMdEngine implements MdEngine {
    private final Calculator calculator;
    private final Integrator integrator;
    private final String description;
    private final Replica[] replicas;
    private long step;
    private final long start;

    /** The mutable state of one replica; the structure supplies numbers, cell and pbc. */
    private static final class Replica {
        final Structure template;
        final Wrap wrap;
        final double[] m;
        final double[] x;
        final double[] p;
        double[] f;
        double energy;
        final long seed;

        Replica(MdState s) {
            template = s.structure();
            wrap = new Wrap(template.cell(), template.pbc());
            m = s.masses();
            x = template.positions();
            p = s.momenta();
            f = s.forces();
            energy = s.energy();
            seed = s.seed();
        }

        Structure structure() {
            return template.withPositions(x);
        }
    }

    /**
     * An engine starting from the given states, which must all be at the same step. States
     * without forces (a fresh start) get them from one force call here; states with forces
     * (a checkpoint) are taken as they are, so a restart repeats the original run bit for bit.
     */
    public CpuMdEngine(Calculator calculator, MdSettings settings, List<MdState> start) {
        if (start.isEmpty()) {
            throw new IllegalArgumentException("at least one replica is needed");
        }
        this.calculator = calculator;
        this.integrator = Integrator.of(settings);
        this.description = (settings.thermostat() == Thermostat.NONE ? "velocity Verlet" : "Langevin BAOAB")
                + " in Java, forces on " + calculator.describe();
        this.replicas = new Replica[start.size()];
        this.step = start.get(0).step();
        this.start = step;
        boolean needForces = false;
        for (int r = 0; r < replicas.length; r++) {
            MdState s = start.get(r);
            if (s.step() != step) {
                throw new IllegalArgumentException("replica " + r + " is at step " + s.step() + ", replica 0 at " + step);
            }
            replicas[r] = new Replica(s);
            needForces |= s.forces() == null;
        }
        if (needForces) {
            for (Replica r : replicas) {
                r.wrap.apply(r.x);
            }
            computeForces();
        }
        checkMotion();
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
        for (int k = 0; k < n; k++) {
            long next = step + 1;
            for (Replica r : replicas) {
                integrator.beforeForces(next, r.seed, r.x, r.p, r.f, r.m);
                r.wrap.apply(r.x);
            }
            step = next;
            computeForces();
            for (Replica r : replicas) {
                integrator.afterForces(r.p, r.f, r.m);
            }
            checkMotion();
        }
    }

    /** Momenta that overflow show up in the kinetic energy, which the log would print as inf. */
    private void checkMotion() {
        for (int i = 0; i < replicas.length; i++) {
            Replica r = replicas[i];
            double ekin = MdUnits.kineticEnergy(r.p, r.m);
            if (!Double.isFinite(ekin)) {
                throw new UnstableException(step, replicas.length == 1 ? -1 : i,
                        "the kinetic energy is not finite (" + ekin + ")");
            }
        }
    }

    private void computeForces() {
        List<Structure> structures = new ArrayList<>(replicas.length);
        for (int i = 0; i < replicas.length; i++) {
            double[] x = replicas[i].x;
            for (int k = 0; k < x.length; k++) {
                // checked here because a neighbor search cannot bin a position that is not a number
                if (!Double.isFinite(x[k])) {
                    throw new UnstableException(step, replicas.length == 1 ? -1 : i,
                            "the position of atom " + k / 3 + " is not finite (" + x[k] + ")");
                }
            }
            structures.add(replicas[i].structure());
        }
        List<Result> results;
        try {
            results = replicas.length == 1 ? List.of(calculator.compute(structures.get(0)))
                    : calculator.compute(structures);
        } catch (UnstableException e) {
            throw e;
        } catch (InputException e) {
            // The batch does not say whose structure it refused: one by one, the first refused is.
            int refused = -1;
            InputException why = e;
            for (int i = 0; i < structures.size() && replicas.length > 1 && refused < 0; i++) {
                try {
                    calculator.compute(structures.get(i));
                } catch (InputException single) {
                    refused = i;
                    why = single;
                }
            }
            // Refusals of the starting structures are the input's fault and keep their message; later
            // ones (atoms on top of each other, say) happened during the run.
            if (step == start) {
                throw refused < 0 ? e : new RefusedException(refused, why.getMessage(), why);
            }
            throw new UnstableException(step, refused, why.getMessage());
        }
        for (int i = 0; i < replicas.length; i++) {
            Result res = results.get(i);
            check(res, i);
            replicas[i].f = res.forces();
            replicas[i].energy = res.energy();
        }
    }

    private void check(Result res, int replica) {
        int r = replicas.length == 1 ? -1 : replica;
        if (!Double.isFinite(res.energy())) {
            throw new UnstableException(step, r, "the energy is not finite (" + res.energy() + ")");
        }
        double[] f = res.forces();
        for (int i = 0; i < f.length; i++) {
            if (!Double.isFinite(f[i])) {
                throw new UnstableException(step, r, "the force on atom " + i / 3 + " is not finite (" + f[i] + ")");
            }
        }
    }

    @Override
    public MdState state(int replica) {
        Replica r = replicas[replica];
        return new MdState(step, r.structure(), r.m, r.p, r.f, r.energy, r.seed);
    }

    @Override
    public String describe() {
        return description;
    }
}
