package org.painn4j.md;

import org.painn4j.InputException;

/**
 * A non-finite energy or force during a run: atoms that fly apart, overlap, or a time step too
 * long for the model. A user's problem, so the command line reports it in one line.
 */
public final class UnstableException extends InputException {
    private final long step;
    private final int replica;
    private final String what;

    public UnstableException(long step, int replica, String what) {
        super("step " + step + (replica >= 0 ? ", replica " + replica : "") + ": " + what);
        this.step = step;
        this.replica = replica;
        this.what = what;
    }

    /** What went wrong, without the step and replica. */
    public String what() {
        return what;
    }

    /** The step whose force call failed. */
    public long step() {
        return step;
    }

    public int replica() {
        return replica;
    }
}
