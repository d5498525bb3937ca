package org.painn4j.gpu;

/**
 * The GPU could not do what was asked: no device, out of memory, a failed launch. The message
 * is one line that names what failed (the kernel, the buffer and its size); the command line
 * prints it without a stack trace.
 */
public class GpuException extends RuntimeException {
    public GpuException(String message) {
        super(message);
    }

    public GpuException(String message, Throwable cause) {
        super(message, cause);
    }
}
