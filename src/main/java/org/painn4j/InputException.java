package org.painn4j;

/**
 * A user's mistake: a bad file, a bad option, a structure the model cannot evaluate.
 * The message is one line that says what is wrong and where (file, frame, line, tensor);
 * the command line prints it alone, without a stack trace, and exits non-zero.
 */
public class InputException extends RuntimeException {
    private static final int[] NONE = {};

    /** Atoms (indices in their structure) the message is about; a caller that knows the file names their lines. */
    private final int[] atoms;

    public InputException(String message) {
        this(message, (Throwable) null);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
        this.atoms = NONE;
    }

    private InputException(String message, int[] atoms) {
        super(message);
        this.atoms = atoms.clone();
    }

    /** A mistake in the given atoms of a structure, e.g. an element the model lacks, two atoms at one place. */
    public static InputException atAtoms(String message, int... atoms) {
        return new InputException(message, atoms);
    }

    /** The atoms this message is about, in the order it names them; empty when it names none. */
    public int[] atoms() {
        return atoms.clone();
    }

    /** The atoms named by e, or by the first exception in its chain of causes that names any. */
    public static int[] atomsOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InputException i && i.atoms.length > 0) {
                return i.atoms();
            }
        }
        return NONE;
    }
}
