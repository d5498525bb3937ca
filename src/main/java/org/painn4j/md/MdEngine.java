package org.painn4j.md;

/**
 * Something that advances one or more independent replicas by whole time steps: the seam
 * between the run driver ({@link MdRun}: logs, trajectories, checkpoints, progress) and where the
 * integration happens.
 *
 * <p>{@link CpuMdEngine} integrates in Java and calls a {@link org.painn4j.calc.Calculator} for
 * the forces, one batched call per step for all replicas; the calculator may itself run on the
 * GPU. A device-resident engine keeps positions, momenta and forces on the device, runs the
 * integrator, wrapping and force kernels for {@link #advance} steps without returning to the
 * host, and copies a replica back only when {@link #state} asks for it, which the driver does
 * every output interval and at checkpoints. To be interchangeable with the CPU engine it must
 * integrate the equations of docs/md.md (velocity Verlet; BAOAB with the Philox noise mapping
 * given there) from the same {@link MdSettings} and starting {@link MdState}s.
 */
public interface MdEngine extends AutoCloseable {

    /** The number of replicas advanced together. */
    int replicas();

    /** Steps taken since the start of the run (a restarted run counts on from its checkpoint). */
    long step();

    /**
     * Takes n steps for every replica. Throws {@link UnstableException} when an energy or force
     * comes out non-finite; the engine is not usable afterwards.
     */
    void advance(int n);

    /** A copy of one replica's state at {@link #step()}. */
    MdState state(int replica);

    /** A short description for logs, e.g. {@code java verlet on cpu float64}. */
    String describe();

    @Override
    default void close() {
    }
}
