package org.painn4j.ipi;

import org.painn4j.InputException;

/**
 * The server broke the protocol, went silent, or went away. A user-facing error like any bad
 * input: one line, no stack trace, a non-zero exit.
 */
public class IpiException extends InputException {
    public IpiException(String message) {
        super(message);
    }

    public IpiException(String message, Throwable cause) {
        super(message, cause);
    }
}
