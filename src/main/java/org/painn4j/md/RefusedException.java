package org.painn4j.md;

import org.painn4j.InputException;

/**
 * The calculator refused one replica's starting structure (two atoms on the same spot, say). The
 * message is the calculator's own; {@link #replica()} says whose structure it was, so that the
 * command line can name the file, frame and line that replica started from.
 */
public final class RefusedException extends InputException {
    private final int replica;

    public RefusedException(int replica, String message, Throwable cause) {
        super(message, cause);
        this.replica = replica;
    }

    /** The replica whose structure was refused. */
    public int replica() {
        return replica;
    }
}
