package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import jcuda.CudaException;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;
import org.painn4j.InputException;
import org.painn4j.structure.Mat3;
import org.painn4j.structure.NeighborList;
import org.painn4j.structure.Structure;

/**
 * Molecular dynamics that stays on the device (integrate.cu): positions, momenta and forces
 * live in GPU memory, and a CUDA graph of one whole time step — the first half of the
 * integrator, wrapping, the neighbor list, the force evaluation, the second half — is replayed
 * step after step with no host round trip (ten steps to a graph where a block has ten or more).
 * The host reads back only when asked for the state, and once per block of steps a few status
 * words.
 *
 * <p>Several replicas advance together: their atoms one after another in the same buffers,
 * one neighbor list in which no edge joins two replicas, one batched force evaluation
 * ({@link GpuCalculator#compute(java.util.List)}'s kernels), the integrator over all atoms, each
 * replica with its own cell, Philox key and status word. Each replica gets the numbers it gets
 * when it runs alone, bit for bit. Replicas share a dynamics when all are of one batch class
 * ({@link GpuCalculator#batchClass}).
 *
 * <p>The list: small structures get a fresh list every step from the single-block search (a
 * block per replica when batched); larger ones keep a Verlet list built for rc + skin (for
 * replicas, by the binned search structure by structure), rebuilt on the device when an atom
 * has moved more than half the skin, and take from it every step the exact list for rc (the
 * same rows, filtered). Either way the force kernels see exactly the list a fresh search
 * gives, so the trajectory does not depend on when the Verlet list was rebuilt, and a run
 * restarted from its state repeats an uninterrupted one bit for bit.
 *
 * <p>A list that outgrows its capacity during a block is found at the block's end: the state
 * saved at its start is restored, the buffers grow, and the block runs again.
 */
public final class DeviceDynamics implements AutoCloseable {
    /** The default Verlet skin, Å. */
    public static final double SKIN = 1.0;

    /**
     * What to integrate: velocity Verlet (langevin false) or BAOAB with c1 = exp(−γ dt) and
     * c2 = √((1 − c1²) kB T); dt in ASE time units.
     */
    public record Settings(boolean langevin, double dt, double c1, double c2) {
    }

    /**
     * One replica at the start: structure (positions, cell, species), masses (amu), momenta (ASE
     * units), and its Philox key. With forces and energy (a checkpoint) they are taken as they
     * are; without (forces null) one evaluation computes them.
     */
    public record Replica(Structure structure, double[] masses, double[] momenta, double[] forces, double energy,
                          long seed) {
    }

    /** The state of one replica, copied back from the device. */
    public record State(long step, double[] positions, double[] momenta, double[] forces, double energy) {
    }

    /** A step at which a replica's position, momentum, force or energy came out non-finite. */
    public static final class Unstable extends InputException {
        private final long step;
        private final int replica;

        Unstable(long step, int replica, String message) {
            super(message);
            this.step = step;
            this.replica = replica;
        }

        public long step() {
            return step;
        }

        /** The replica, numbered within this dynamics. */
        public int replica() {
            return replica;
        }
    }

    private static final int THREADS = 128;

    private final GpuCalculator calc;
    private final List<Structure> templates;
    /** Whether the replicas report stress (fully periodic): else no step sums the virial. */
    private final boolean periodic;
    private final Settings settings;
    private final int replicas;
    private final int n;
    private final int[] starts;
    private final double rc;
    /** Several replicas: one batched list and force call. */
    private final boolean batched;
    /** A fresh list every step from the single-block search, else a Verlet list. */
    private final boolean small;
    /**
     * The Verlet list's search for a structure past the single-block one (else null); replicas
     * take the binned batch search instead and leave it unread.
     */
    private final NeighborKernels.Search verletSearch;
    private NeighborBuffers verlet;
    private final DeviceBuffer x;
    private final DeviceBuffer p;
    private final DeviceBuffer m;
    private final DeviceBuffer reference;
    private final DeviceBuffer wrapCells;
    private final DeviceBuffer wrapInverses;
    private final DeviceBuffer wrapPbcs;
    private final DeviceBuffer seeds;
    private final DeviceBuffer atomReplica;
    private final DeviceBuffer replicaStart;
    /**
     * step (int64), rebuild flag (int32), blocks done with the step (int32), then the first
     * unstable step of each replica (int64).
     */
    private final DeviceBuffer counters;
    private final DeviceBuffer step;
    private final DeviceBuffer rebuild;
    private final DeviceBuffer blocksDone;
    private final DeviceBuffer badSteps;
    /** x, p, f, energies and the counters at the start of the running block. */
    private final DeviceBuffer backup;
    private final PinnedBuffer host;
    private final Kernel first;
    private final Kernel displacement;
    private final Kernel remember;
    private final Kernel last;
    private final Kernel lastFirst;
    /** One time step, and STEPS_PER_GRAPH of them one after another (blocks of steps replay fewer graphs). */
    private CUgraphExec graph;
    private CUgraphExec graphOfSteps;
    /**
     * Steps captured into one graph: between two graphs the device waits for the first to
     * complete before it starts the next; within one, each step's first kernel follows the last
     * step's as any kernel follows another, and one kernel joins the two (docs/performance.md,
     * entries 52–53).
     */
    static final int STEPS_PER_GRAPH = 10;
    /** How often the step graph was captured, and how often a block ran again after a list grew (probes). */
    int captures;
    int reruns;
    /** Every replica's state, read back at the first request after a block. */
    private State[] states;

    /** Starts the replicas at the given step; they must suit one batch when there are several. */
    public DeviceDynamics(GpuCalculator calc, List<Replica> start, long stepNumber, Settings settings) {
        if (start.isEmpty()) {
            throw new IllegalArgumentException("at least one replica is needed");
        }
        this.calc = calc;
        this.settings = settings;
        this.replicas = start.size();
        this.templates = start.stream().map(Replica::structure).toList();
        this.periodic = templates.stream().allMatch(Structure::fullyPeriodic);
        this.starts = new int[replicas + 1];
        for (int r = 0; r < replicas; r++) {
            starts[r + 1] = starts[r] + templates.get(r).size();
        }
        this.n = starts[replicas];
        this.rc = calc.model().config.cutoff();
        this.batched = replicas > 1;
        CudaContext cuda = calc.context();
        cuda.makeCurrent();
        if (batched) {
            calc.prepareBatch(templates, Math.max(1024, 48 * n));
            this.small = !calc.batch.binned();
        } else {
            this.small = calc.prepare(templates.get(0), Math.max(1024, 48 * n), rc + SKIN);
        }
        long b = 24L * n;
        x = new DeviceBuffer(cuda, "md positions", b);
        p = new DeviceBuffer(cuda, "md momenta", b);
        m = new DeviceBuffer(cuda, "md masses", 8L * n);
        reference = new DeviceBuffer(cuda, "positions at the last list build", b);
        wrapCells = new DeviceBuffer(cuda, "md cells", 72L * replicas);
        wrapInverses = new DeviceBuffer(cuda, "md inverse cells", 72L * replicas);
        wrapPbcs = new DeviceBuffer(cuda, "md pbc", 12L * replicas);
        seeds = new DeviceBuffer(cuda, "md seeds", 8L * replicas);
        atomReplica = new DeviceBuffer(cuda, "md atom replicas", 4L * n);
        replicaStart = new DeviceBuffer(cuda, "md replica starts", 4L * (replicas + 1));
        counters = new DeviceBuffer(cuda, "md counters", 16 + 8L * replicas);
        step = counters.slice("md step", 0, 8);
        rebuild = counters.slice("list rebuild flag", 8, 4);
        blocksDone = counters.slice("blocks done with the step", 12, 4);
        badSteps = counters.slice("first unstable steps", 16, 8L * replicas);
        backup = new DeviceBuffer(cuda, "md block start", 3 * b + 8L * replicas + 16 + 8L * replicas);
        host = new PinnedBuffer("md state", 3 * b + 16L * replicas + 64);
        first = new Kernel(cuda, "integrate", "painn_md_first");
        displacement = new Kernel(cuda, "integrate", "painn_md_displacement");
        remember = new Kernel(cuda, "integrate", "painn_md_reference");
        last = new Kernel(cuda, "integrate", "painn_md_last");
        lastFirst = new Kernel(cuda, "integrate", "painn_md_last_first");
        upload(start, stepNumber);
        if (!small) {
            verlet = new NeighborBuffers(cuda, n, Math.max(2048, 96 * n));
            SearchFrame frame = SearchFrame.of(templates.get(0));
            verlet.upload(templates.get(0).numbers(), frame);
            verletSearch = calc.search(n, frame, rc + SKIN);
        } else {
            verletSearch = null;
        }
        try {
            if (start.stream().allMatch(r -> r.forces() != null)) {
                calc.atoms.forces.upload(concat(start.stream().map(Replica::forces).toList()));
                energies().upload(start.stream().mapToDouble(Replica::energy).toArray());
                forgetList();
            } else {
                initialForces();
            }
        } catch (CudaException e) {
            throw new GpuException("GPU molecular dynamics failed to start: " + e.getMessage(), e);
        }
    }

    /** Positions, momenta, masses, and each replica's cell, wrapping frame and key. */
    private void upload(List<Replica> start, long stepNumber) {
        double[] cells = new double[9 * replicas];
        double[] inverses = new double[9 * replicas];
        int[] pbcs = new int[3 * replicas];
        long[] keys = new long[replicas];
        int[] owner = new int[n];
        for (int r = 0; r < replicas; r++) {
            Structure s = templates.get(r);
            double[] cell = s.hasCell() ? s.cell() : Mat3.identity();
            System.arraycopy(cell, 0, cells, 9 * r, 9);
            System.arraycopy(s.anyPeriodic() ? inverse(cell) : Mat3.identity(), 0, inverses, 9 * r, 9);
            for (int a = 0; a < 3; a++) {
                pbcs[3 * r + a] = s.pbc()[a] ? 1 : 0;
            }
            keys[r] = start.get(r).seed();
            Arrays.fill(owner, starts[r], starts[r + 1], r);
        }
        wrapCells.upload(cells);
        wrapInverses.upload(inverses);
        wrapPbcs.upload(pbcs);
        seeds.upload(keys);
        atomReplica.upload(owner);
        replicaStart.upload(starts);
        x.upload(concat(templates.stream().map(Structure::positions).toList()));
        p.upload(concat(start.stream().map(Replica::momenta).toList()));
        m.upload(concat(start.stream().map(Replica::masses).toList()));
        long[] c = new long[2 + replicas];
        c[0] = stepNumber;
        c[1] = 1;
        Arrays.fill(c, 2, c.length, Long.MAX_VALUE);
        counters.upload(c);
    }

    private static double[] concat(List<double[]> parts) {
        double[] all = new double[parts.stream().mapToInt(a -> a.length).sum()];
        int at = 0;
        for (double[] a : parts) {
            System.arraycopy(a, 0, all, at, a.length);
            at += a.length;
        }
        return all;
    }

    private static double[] inverse(double[] cell) {
        try {
            return Mat3.inverse(cell);
        } catch (IllegalArgumentException e) {
            throw new InputException("the cell is singular; positions cannot be wrapped into it");
        }
    }

    /** Where the force evaluation leaves the replicas' energies: one per replica. */
    private DeviceBuffer energies() {
        return batched ? calc.batch.energies : calc.atoms.energy;
    }

    /** The next step builds the Verlet list whatever the displacements. */
    void forgetList() {
        double[] far = new double[3 * n];
        java.util.Arrays.fill(far, 1e300);
        reference.upload(far);
        rebuild.upload(new int[] {1});
        // synchronous copies run on the legacy stream, which the dynamics' stream does not wait
        // for; every path that uploads (start, growth, restore) ends here before steps run
        cuCtxSynchronize();
    }

    /** Forces and energies at the starting positions. */
    private void initialForces() {
        while (true) {
            forgetList();
            clearStatus();
            enqueueList();
            calc.virialWanted = periodic;
            calc.enqueueModel(n, true, x, batched ? calc.batch : null);
            cuStreamSynchronize(calc.stream);
            if (!grow()) {
                checkCoincident(step());
                return;
            }
        }
    }

    /** The neighbor list of this step at x: fresh, or filtered out of the Verlet list. */
    private void enqueueList() {
        if (batched && small) {
            calc.enqueueBatchList(x);
        } else if (small) {
            calc.neighbors.build(calc.stream, calc.list, x, n, rc, NeighborList.MIN_DISTANCE,
                    NeighborKernels.Search.SMALL, null, false);
        } else {
            displacement.launch(calc.stream, blocks(n), 1, THREADS, n, x, reference, 0.5 * SKIN, rebuild);
            if (batched) {
                calc.neighbors.buildBinnedBatch(calc.stream, verlet, calc.batch, x, rc + SKIN,
                        NeighborList.MIN_DISTANCE, rebuild);
            } else {
                calc.neighbors.build(calc.stream, verlet, x, n, rc + SKIN, NeighborList.MIN_DISTANCE, verletSearch,
                        rebuild, false);
            }
            remember.launch(calc.stream, blocks(3 * n), 1, THREADS, n, rebuild, x, reference);
            calc.neighbors.filter(calc.stream, verlet, calc.list, batched ? calc.batch : null, x, n, rc,
                    NeighborList.MIN_DISTANCE);
            // the forces read the exact list's reverse edges; nothing reads the Verlet list's
            calc.reverseBeside(calc.list, n, null);
        }
    }

    private void enqueueStep() {
        enqueueSteps(1);
    }

    /**
     * Steps one after another: between two of them one kernel, painn_md_last_first, does the
     * second half of the one and the first half of the next.
     */
    private void enqueueSteps(int steps) {
        Settings s = settings;
        first.launch(calc.stream, blocks(n), 1, THREADS, n, s.langevin() ? 1 : 0, s.dt(), s.c1(), s.c2(), seeds,
                atomReplica, replicaStart, step, x, p, calc.atoms.forces, m, wrapCells, wrapInverses, wrapPbcs);
        for (int i = 0; i < steps; i++) {
            enqueueList();
            calc.virialWanted = periodic;
            calc.enqueueModel(n, true, x, batched ? calc.batch : null);
            if (i < steps - 1) {
                lastFirst.launch(calc.stream, blocks(n), 1, THREADS, n, s.langevin() ? 1 : 0, s.dt(), s.c1(), s.c2(),
                        seeds, atomReplica, replicaStart, step, x, p, calc.atoms.forces, m, wrapCells, wrapInverses,
                        wrapPbcs, energies(), rebuild, blocksDone, badSteps);
            } else {
                last.launch(calc.stream, blocks(n), 1, THREADS, n, s.dt(), p, calc.atoms.forces, x, energies(),
                        atomReplica, replicaStart, step, rebuild, blocksDone, badSteps);
            }
        }
    }

    /**
     * One time step launched kernel by kernel, outside the graph, so that a {@link Profiler} can
     * time its kernels (MdStepProbe); the state advances as by {@link #advance}.
     */
    void stepEagerly() {
        calc.context().makeCurrent();
        states = null;
        enqueueStep();
        cuStreamSynchronize(calc.stream);
    }

    private static int blocks(int count) {
        return (count + THREADS - 1) / THREADS;
    }

    /**
     * Advances every replica by steps time steps; throws {@link Unstable} for the replica that
     * first came out non-finite (the lowest-numbered of those at the earliest step).
     */
    public void advance(int steps) {
        if (steps <= 0) {
            return;
        }
        calc.context().makeCurrent();
        states = null;
        try {
            while (true) {
                save();
                clearStatus();
                if (steps >= STEPS_PER_GRAPH && graphOfSteps == null) {
                    graphOfSteps = capture(STEPS_PER_GRAPH);
                }
                if (steps % STEPS_PER_GRAPH != 0 && graph == null) {
                    graph = capture(1);
                }
                for (int i = 0; i < steps / STEPS_PER_GRAPH; i++) {
                    cuGraphLaunch(graphOfSteps, calc.stream);
                }
                for (int i = 0; i < steps % STEPS_PER_GRAPH; i++) {
                    cuGraphLaunch(graph, calc.stream);
                }
                cuStreamSynchronize(calc.stream);
                if (!grow()) {
                    break;
                }
                reruns++;
                restore();
            }
        } catch (CudaException e) {
            throw new GpuException("GPU molecular dynamics failed: " + e.getMessage(), e);
        }
        long[] bad = readLongs(badSteps, replicas);
        int worst = 0;
        for (int r = 1; r < replicas; r++) {
            if (bad[r] < bad[worst]) {
                worst = r;
            }
        }
        if (bad[worst] != Long.MAX_VALUE) {
            throw new Unstable(bad[worst], worst, "a position, momentum, force or the energy is not finite");
        }
        checkCoincident(step());
    }

    private CUgraphExec capture(int steps) {
        CUgraph g = new CUgraph();
        cuStreamBeginCapture(calc.stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        try {
            enqueueSteps(steps);
        } finally {
            cuStreamEndCapture(calc.stream, g);
        }
        CUgraphExec exec = new CUgraphExec();
        cuGraphInstantiate(exec, g, 0);
        cuGraphDestroy(g);
        captures++;
        return exec;
    }

    private void dropGraph() {
        if (graph != null) {
            cuGraphExecDestroy(graph);
            graph = null;
        }
        if (graphOfSteps != null) {
            cuGraphExecDestroy(graphOfSteps);
            graphOfSteps = null;
        }
    }

    /** Clears the largest-edge-count words and the coincident pairs of the lists. */
    private void clearStatus() {
        calc.list.status.slice("largest edge count", 4, 4).fill32(0, calc.stream);
        (batched ? calc.batch.errorPairs : calc.list.errorPair).fill32(-1, calc.stream);
        if (!small) {
            verlet.status.slice("largest edge count", 4, 4).fill32(0, calc.stream);
            verlet.errorPair.fill32(-1, calc.stream);
        }
    }

    /**
     * After a block: when a list outgrew its capacity, grows it and returns true (the block must
     * run again from its saved start).
     */
    private boolean grow() {
        int exactNeeded = readInt(calc.list.status, 4);
        int verletNeeded = small ? 0 : readInt(verlet.status, 4);
        boolean exactOver = exactNeeded > calc.edgeCapacity();
        boolean verletOver = !small && verletNeeded > verlet.edgeCapacity;
        if (!exactOver && !verletOver) {
            return false;
        }
        dropGraph();
        if (exactOver && batched) {
            calc.prepareBatch(templates, exactNeeded + exactNeeded / 4);
        } else if (exactOver) {
            calc.prepare(templates.get(0), exactNeeded + exactNeeded / 4, rc + SKIN);
        }
        if (verletOver) {
            verlet.close();
            verlet = new NeighborBuffers(calc.context(), n, verletNeeded + verletNeeded / 2);
            verlet.upload(templates.get(0).numbers(), SearchFrame.of(templates.get(0)));
        }
        return true;
    }

    private void save() {
        long b = 24L * n;
        long e = 8L * replicas;
        cuMemcpyDtoDAsync(backup.ptr, x.ptr, b, calc.stream);
        cuMemcpyDtoDAsync(backup.ptr.withByteOffset(b), p.ptr, b, calc.stream);
        cuMemcpyDtoDAsync(backup.ptr.withByteOffset(2 * b), calc.atoms.forces.ptr, b, calc.stream);
        cuMemcpyDtoDAsync(backup.ptr.withByteOffset(3 * b), energies().ptr, e, calc.stream);
        cuMemcpyDtoDAsync(backup.ptr.withByteOffset(3 * b + e), counters.ptr, counters.bytes, calc.stream);
    }

    private void restore() {
        long b = 24L * n;
        long e = 8L * replicas;
        cuMemcpyDtoDAsync(x.ptr, backup.ptr, b, calc.stream);
        cuMemcpyDtoDAsync(p.ptr, backup.ptr.withByteOffset(b), b, calc.stream);
        cuMemcpyDtoDAsync(calc.atoms.forces.ptr, backup.ptr.withByteOffset(2 * b), b, calc.stream);
        cuMemcpyDtoDAsync(energies().ptr, backup.ptr.withByteOffset(3 * b), e, calc.stream);
        cuMemcpyDtoDAsync(counters.ptr, backup.ptr.withByteOffset(3 * b + e), counters.bytes, calc.stream);
        cuStreamSynchronize(calc.stream);
        forgetList();
    }

    private void checkCoincident(long at) {
        long[] pairs = batched ? readLongs(calc.batch.errorPairs, replicas) : readLongs(calc.list.errorPair, 1);
        for (int r = 0; r < pairs.length; r++) {
            if (pairs[r] != -1L) {
                int i = (int) (pairs[r] >>> 32);
                int j = (int) pairs[r];
                throw new Unstable(at, r, i == j ? "atom " + i + " came onto one of its periodic images"
                        : "atoms " + i + " and " + j + " came to the same position");
            }
        }
    }

    /** The step the device is at. */
    public long step() {
        return readLongs(step, 1)[0];
    }

    /** The number of replicas advanced together. */
    public int replicas() {
        return replicas;
    }

    /**
     * Positions, momenta, forces and energy of one replica. The first request after a block
     * copies every replica back at once; later ones take from that copy.
     */
    public State state(int replica) {
        if (states == null) {
            states = download();
        }
        State s = states[replica];
        return new State(s.step(), s.positions().clone(), s.momenta().clone(), s.forces().clone(), s.energy());
    }

    private State[] download() {
        calc.context().makeCurrent();
        long b = 24L * n;
        long e = 8L * replicas;
        cuMemcpyDtoHAsync(host.ptr, x.ptr, b, calc.stream);
        cuMemcpyDtoHAsync(host.ptr.withByteOffset(b), p.ptr, b, calc.stream);
        cuMemcpyDtoHAsync(host.ptr.withByteOffset(2 * b), calc.atoms.forces.ptr, b, calc.stream);
        cuMemcpyDtoHAsync(host.ptr.withByteOffset(3 * b), energies().ptr, e, calc.stream);
        cuMemcpyDtoHAsync(host.ptr.withByteOffset(3 * b + e), step.ptr, 8, calc.stream);
        cuStreamSynchronize(calc.stream);
        ByteBuffer h = host.data;
        long at = h.getLong((int) (3 * b + e));
        State[] out = new State[replicas];
        for (int r = 0; r < replicas; r++) {
            int from = 3 * starts[r];
            int count = 3 * (starts[r + 1] - starts[r]);
            double[][] arrays = new double[3][count];
            for (int a = 0; a < 3; a++) {
                for (int i = 0; i < count; i++) {
                    arrays[a][i] = h.getDouble((int) (a * b) + 8 * (from + i));
                }
            }
            out[r] = new State(at, arrays[0], arrays[1], arrays[2], h.getDouble((int) (3 * b) + 8 * r));
        }
        return out;
    }

    private long[] readLongs(DeviceBuffer src, int count) {
        cuMemcpyDtoHAsync(host.ptr, src.ptr, 8L * count, calc.stream);
        cuStreamSynchronize(calc.stream);
        long[] v = new long[count];
        for (int i = 0; i < count; i++) {
            v[i] = host.data.getLong(8 * i);
        }
        return v;
    }

    private int readInt(DeviceBuffer src, long offset) {
        cuMemcpyDtoHAsync(host.ptr, src.ptr.withByteOffset(offset), 4, calc.stream);
        cuStreamSynchronize(calc.stream);
        return host.data.getInt(0);
    }

    public String describe() {
        String list = small ? "a fresh list every step" : "a Verlet list (skin " + SKIN + " Å)";
        return calc.describe() + ", device-resident with "
                + (batched ? replicas + " replicas in one batched force call and " : "") + list + ", "
                + calc.context().launches();
    }

    @Override
    public void close() {
        calc.context().makeCurrent();
        dropGraph();
        if (verlet != null) {
            verlet.close();
        }
        for (DeviceBuffer b : new DeviceBuffer[] {x, p, m, reference, wrapCells, wrapInverses, wrapPbcs, seeds,
            atomReplica, replicaStart, counters, backup}) {
            b.close();
        }
        host.close();
    }
}
