package org.painn4j;

/**
 * A user's mistake: a bad file, a bad option, a structure the model cannot evaluate.
 * The message is one line that says what is wrong and where (file, frame, line, tensor);
 * the command line prints it alone, without a stack trace, and exits non-zero.
 */
public class InputException extends RuntimeException {
    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
