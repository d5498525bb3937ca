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
 * step after step with no host round trip. The host reads back only when asked for the state,
 * and once per block of steps a few status words.
 *
 * <p>The list: a small structure gets a fresh list every step from the single-block search;
 * a larger one keeps a Verlet list built for rc + skin, rebuilt on the device when an atom has
 * moved more than half the skin, and takes from it every step the exact list for rc (the same
 * rows, filtered). Either way the force kernels see exactly the list a fresh search gives, so
 * the trajectory does not depend on when the Verlet list was rebuilt, and a run restarted from
 * its state repeats an uninterrupted one bit for bit.
 *
 * <p>A list that outgrows its capacity during a block is found at the block's end: the state
 * saved at its start is restored, the buffers grow, and the block runs again.
 */
public final class DeviceDynamics implements AutoCloseable {
    /** The default Verlet skin, Å. */
    public static final double SKIN = 1.0;

    /**
     * What to integrate: velocity Verlet (langevin false) or BAOAB with c1 = exp(−γ dt) and
     * c2 = √((1 − c1²) kB T); dt in ASE time units; the replica's Philox key.
     */
    public record Settings(boolean langevin, double dt, double c1, double c2, long seed) {
    }

    /** The state copied back from the device. */
    public record State(long step, double[] positions, double[] momenta, double[] forces, double energy) {
    }

    /** A step at which a position, momentum, force or the energy came out non-finite. */
    public static final class Unstable extends InputException {
        private final long step;

        Unstable(long step, String message) {
            super(message);
            this.step = step;
        }

        public long step() {
            return step;
        }
    }

    private static final int THREADS = 128;

    private final GpuCalculator calc;
    private final Structure template;
    private final Settings settings;
    private final int n;
    private final double rc;
    private final boolean small;
    private NeighborBuffers verlet;
    private final DeviceBuffer x;
    private final DeviceBuffer p;
    private final DeviceBuffer m;
    private final DeviceBuffer reference;
    private final DeviceBuffer wrapCell;
    private final DeviceBuffer wrapInverse;
    /** step (int64), rebuild flag (int32), pad, first unstable step (int64). */
    private final DeviceBuffer counters;
    private final DeviceBuffer step;
    private final DeviceBuffer rebuild;
    private final DeviceBuffer badStep;
    /** x, p, f, energy and the counters at the start of the running block. */
    private final DeviceBuffer backup;
    private final PinnedBuffer host;
    private final Kernel first;
    private final Kernel displacement;
    private final Kernel remember;
    private final Kernel last;
    private final Kernel tick;
    private CUgraphExec graph;

    /**
     * Starts from a structure (positions, cell, species), masses (amu) and momenta (ASE units) at
     * the given step. With forces and energy (a checkpoint) they are taken as they are; without
     * (forces null) one evaluation computes them.
     */
    public DeviceDynamics(GpuCalculator calc, Structure start, double[] masses, double[] momenta, double[] forces,
                          double energy, long stepNumber, Settings settings) {
        this.calc = calc;
        this.template = start;
        this.settings = settings;
        this.n = start.size();
        this.rc = calc.model().config.cutoff();
        CudaContext cuda = calc.context();
        cuda.makeCurrent();
        this.small = calc.prepare(start, Math.max(1024, 48 * n), rc + SKIN);
        long b = 24L * n;
        x = new DeviceBuffer(cuda, "md positions", b);
        p = new DeviceBuffer(cuda, "md momenta", b);
        m = new DeviceBuffer(cuda, "md masses", 8L * n);
        reference = new DeviceBuffer(cuda, "positions at the last list build", b);
        wrapCell = new DeviceBuffer(cuda, "md cell", 72);
        wrapInverse = new DeviceBuffer(cuda, "md inverse cell", 72);
        counters = new DeviceBuffer(cuda, "md counters", 24);
        step = counters.slice("md step", 0, 8);
        rebuild = counters.slice("list rebuild flag", 8, 4);
        badStep = counters.slice("first unstable step", 16, 8);
        backup = new DeviceBuffer(cuda, "md block start", 3 * b + 8 + 24);
        host = new PinnedBuffer("md state", 3 * b + 64);
        first = new Kernel(cuda, "integrate", "painn_md_first");
        displacement = new Kernel(cuda, "integrate", "painn_md_displacement");
        remember = new Kernel(cuda, "integrate", "painn_md_reference");
        last = new Kernel(cuda, "integrate", "painn_md_last");
        tick = new Kernel(cuda, "integrate", "painn_md_tick");
        boolean wraps = start.anyPeriodic();
        double[] cell = start.hasCell() ? start.cell() : Mat3.identity();
        wrapCell.upload(cell);
        wrapInverse.upload(wraps ? inverse(cell) : Mat3.identity());
        x.upload(start.positions());
        p.upload(momenta);
        m.upload(masses);
        counters.upload(new long[] {stepNumber, 1, Long.MAX_VALUE});
        if (!small) {
            verlet = new NeighborBuffers(cuda, n, Math.max(2048, 96 * n));
            verlet.upload(template.numbers(), SearchFrame.of(template));
        }
        try {
            if (forces != null) {
                calc.atoms.forces.upload(forces);
                calc.atoms.energy.upload(new double[] {energy});
                forgetList();
            } else {
                initialForces();
            }
        } catch (CudaException e) {
            throw new GpuException("GPU molecular dynamics failed to start: " + e.getMessage(), e);
        }
    }

    private static double[] inverse(double[] cell) {
        try {
            return Mat3.inverse(cell);
        } catch (IllegalArgumentException e) {
            throw new InputException("the cell is singular; positions cannot be wrapped into it");
        }
    }

    /** The next step builds the Verlet list whatever the displacements. */
    private void forgetList() {
        double[] far = new double[3 * n];
        java.util.Arrays.fill(far, 1e300);
        reference.upload(far);
        rebuild.upload(new int[] {1});
        // synchronous copies run on the legacy stream, which the dynamics' stream does not wait
        // for; every path that uploads (start, growth, restore) ends here before steps run
        cuCtxSynchronize();
    }

    /** Forces and energy at the starting positions. */
    private void initialForces() {
        for (int attempt = 0; ; attempt++) {
            forgetList();
            clearStatus();
            enqueueList();
            calc.enqueueModel(n, true, x, null);
            cuStreamSynchronize(calc.stream);
            if (!grow()) {
                checkCoincident(step());
                return;
            }
        }
    }

    /** The neighbor list of this step at x: fresh, or filtered out of the Verlet list. */
    private void enqueueList() {
        if (small) {
            calc.neighbors.build(calc.stream, calc.list, x, n, rc, NeighborList.MIN_DISTANCE, true, null, false);
        } else {
            displacement.launch(calc.stream, blocks(n), 1, THREADS, n, x, reference, 0.5 * SKIN, rebuild);
            calc.neighbors.build(calc.stream, verlet, x, n, rc + SKIN, NeighborList.MIN_DISTANCE, false, rebuild, false);
            remember.launch(calc.stream, blocks(3 * n), 1, THREADS, n, rebuild, x, reference);
            calc.neighbors.filter(calc.stream, verlet, calc.list, x, n, rc, NeighborList.MIN_DISTANCE);
        }
    }

    private void enqueueStep() {
        Settings s = settings;
        first.launch(calc.stream, blocks(n), 1, THREADS, n, s.langevin() ? 1 : 0, s.dt(), s.c1(), s.c2(), s.seed(),
                step, x, p, calc.atoms.forces, m, wrapCell, wrapInverse, calc.list.pbc);
        enqueueList();
        calc.enqueueModel(n, true, x, null);
        last.launch(calc.stream, blocks(n), 1, THREADS, n, s.dt(), p, calc.atoms.forces, x, calc.atoms.energy, step,
                badStep);
        tick.launch(calc.stream, 1, 1, 1, step, rebuild);
    }

    private static int blocks(int count) {
        return (count + THREADS - 1) / THREADS;
    }

    /** Advances every atom by steps time steps; throws {@link Unstable} at a non-finite step. */
    public void advance(int steps) {
        if (steps <= 0) {
            return;
        }
        calc.context().makeCurrent();
        try {
            while (true) {
                save();
                clearStatus();
                if (graph == null) {
                    capture();
                }
                for (int i = 0; i < steps; i++) {
                    cuGraphLaunch(graph, calc.stream);
                }
                cuStreamSynchronize(calc.stream);
                if (!grow()) {
                    break;
                }
                restore();
            }
        } catch (CudaException e) {
            throw new GpuException("GPU molecular dynamics failed: " + e.getMessage(), e);
        }
        long bad = readLong(badStep);
        if (bad != Long.MAX_VALUE) {
            throw new Unstable(bad, "a position, momentum, force or the energy is not finite");
        }
        checkCoincident(step());
    }

    private void capture() {
        CUgraph g = new CUgraph();
        cuStreamBeginCapture(calc.stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        try {
            enqueueStep();
        } finally {
            cuStreamEndCapture(calc.stream, g);
        }
        graph = new CUgraphExec();
        cuGraphInstantiate(graph, g, 0);
        cuGraphDestroy(g);
    }

    private void dropGraph() {
        if (graph != null) {
            cuGraphExecDestroy(graph);
            graph = null;
        }
    }

    /** Clears the largest-edge-count words and the coincident pair of both lists. */
    private void clearStatus() {
        for (NeighborBuffers b : small ? new NeighborBuffers[] {calc.list} : new NeighborBuffers[] {calc.list, verlet}) {
            b.status.slice("largest edge count", 4, 4).fill32(0, calc.stream);
            b.errorPair.fill32(-1, calc.stream);
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
        if (exactOver) {
            calc.prepare(template, exactNeeded + exactNeeded / 4, rc + SKIN);
        }
        if (verletOver) {
            verlet.close();
            verlet = new NeighborBuffers(calc.context(), n, verletNeeded + verletNeeded / 2);
            verlet.upload(template.numbers(), SearchFrame.of(template));
        }
        return true;
    }

    private void save() {
        long b = 24L * n;
        cuMemcpyDtoDAsync(backup.ptr, x.ptr, b, calc.stream);
        cuMemcpyDtoDAsync(backup.ptr.withByteOffset(b), p.ptr, b, calc.stream);
        cuMemcpyDtoDAsync(backup.ptr.withByteOffset(2 * b), calc.atoms.forces.ptr, b, calc.stream);
        cuMemcpyDtoDAsync(backup.ptr.withByteOffset(3 * b), calc.atoms.energy.ptr, 8, calc.stream);
        cuMemcpyDtoDAsync(backup.ptr.withByteOffset(3 * b + 8), counters.ptr, 24, calc.stream);
    }

    private void restore() {
        long b = 24L * n;
        cuMemcpyDtoDAsync(x.ptr, backup.ptr, b, calc.stream);
        cuMemcpyDtoDAsync(p.ptr, backup.ptr.withByteOffset(b), b, calc.stream);
        cuMemcpyDtoDAsync(calc.atoms.forces.ptr, backup.ptr.withByteOffset(2 * b), b, calc.stream);
        cuMemcpyDtoDAsync(calc.atoms.energy.ptr, backup.ptr.withByteOffset(3 * b), 8, calc.stream);
        cuMemcpyDtoDAsync(counters.ptr, backup.ptr.withByteOffset(3 * b + 8), 24, calc.stream);
        cuStreamSynchronize(calc.stream);
        forgetList();
    }

    private void checkCoincident(long at) {
        long pair = readLong(calc.list.errorPair);
        if (pair != -1L) {
            int i = (int) (pair >>> 32);
            int j = (int) pair;
            throw new Unstable(at, i == j ? "atom " + i + " came onto one of its periodic images"
                    : "atoms " + i + " and " + j + " came to the same position");
        }
    }

    /** The step the device is at. */
    public long step() {
        return readLong(step);
    }

    /** Positions, momenta, forces and energy, copied back. */
    public State state() {
        calc.context().makeCurrent();
        long b = 24L * n;
        cuMemcpyDtoHAsync(host.ptr, x.ptr, b, calc.stream);
        cuMemcpyDtoHAsync(host.ptr.withByteOffset(b), p.ptr, b, calc.stream);
        cuMemcpyDtoHAsync(host.ptr.withByteOffset(2 * b), calc.atoms.forces.ptr, b, calc.stream);
        cuMemcpyDtoHAsync(host.ptr.withByteOffset(3 * b), calc.atoms.energy.ptr, 8, calc.stream);
        cuMemcpyDtoHAsync(host.ptr.withByteOffset(3 * b + 8), step.ptr, 8, calc.stream);
        cuStreamSynchronize(calc.stream);
        ByteBuffer h = host.data;
        double[][] arrays = new double[3][3 * n];
        for (int a = 0; a < 3; a++) {
            for (int i = 0; i < 3 * n; i++) {
                arrays[a][i] = h.getDouble((int) (a * b) + 8 * i);
            }
        }
        return new State(h.getLong((int) (3 * b + 8)), arrays[0], arrays[1], arrays[2], h.getDouble((int) (3 * b)));
    }

    private long readLong(DeviceBuffer src) {
        cuMemcpyDtoHAsync(host.ptr, src.ptr, 8, calc.stream);
        cuStreamSynchronize(calc.stream);
        return host.data.getLong(0);
    }

    private int readInt(DeviceBuffer src, long offset) {
        cuMemcpyDtoHAsync(host.ptr, src.ptr.withByteOffset(offset), 4, calc.stream);
        cuStreamSynchronize(calc.stream);
        return host.data.getInt(0);
    }

    public String describe() {
        return calc.describe() + ", device-resident " + (small ? "with a fresh list every step"
                : "with a Verlet list (skin " + SKIN + " Å)");
    }

    @Override
    public void close() {
        calc.context().makeCurrent();
        dropGraph();
        if (verlet != null) {
            verlet.close();
        }
        for (DeviceBuffer b : new DeviceBuffer[] {x, p, m, reference, wrapCell, wrapInverse, counters, backup}) {
            b.close();
        }
        host.close();
    }
}
