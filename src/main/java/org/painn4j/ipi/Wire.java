package org.painn4j.ipi;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads and writes of whole protocol items on a socket channel, each with a time limit.
 *
 * <p>The channel is non-blocking and waits go through a selector: SO_TIMEOUT does not apply to
 * channel reads, and a blocking read on a unix-domain channel cannot be given a time limit any
 * other way. The limit restarts whenever bytes move, so a slow but live peer is never cut off,
 * while one that stops mid-message or never answers ends the wait.
 */
final class Wire implements Closeable {
    /** Every message starts with a 12-byte ASCII header, padded with spaces. */
    static final int HEADER_BYTES = 12;

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final long timeoutNanos;
    private final String peer;

    /**
     * @param timeoutSeconds longest wait for the peer to send or accept a byte; 0 for no limit
     * @param peer           what the peer is called in messages ("the server", "the client")
     */
    Wire(SocketChannel channel, double timeoutSeconds, String peer) throws IOException {
        this.channel = channel;
        this.timeoutNanos = timeoutSeconds <= 0 ? 0 : (long) (timeoutSeconds * 1e9);
        this.peer = peer;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        this.key = channel.register(selector, 0);
    }

    /** A little-endian buffer, as every number on the wire is. */
    static ByteBuffer buffer(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A header's 12 bytes: the text, right-padded with spaces. */
    static byte[] header(String text) {
        byte[] b = new byte[HEADER_BYTES];
        java.util.Arrays.fill(b, (byte) ' ');
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, b, 0, Math.min(t.length, HEADER_BYTES));
        return b;
    }

    /**
     * The next header with its padding removed, or null when the peer closed the connection
     * cleanly before sending any byte of it (a normal end between messages).
     */
    String readHeaderOrEnd() {
        ByteBuffer b = buffer(HEADER_BYTES);
        if (!fill(b, "a message header", true)) {
            return null;
        }
        int end = HEADER_BYTES;
        while (end > 0 && (b.get(end - 1) == ' ' || b.get(end - 1) == 0)) {
            end--;
        }
        return printable(b.array(), end);
    }

    /** Exactly {@code bytes} bytes, little-endian, ready to read; {@code what} names them in errors. */
    ByteBuffer read(int bytes, String what) {
        ByteBuffer b = buffer(bytes);
        fill(b, what, false);
        b.flip();
        return b;
    }

    /** Sends the whole buffer (from its position to its limit). */
    void write(ByteBuffer b, String what) {
        long deadline = deadline();
        while (b.hasRemaining()) {
            int n;
            try {
                n = channel.write(b);
            } catch (IOException e) {
                throw lost("sending " + what, e);
            }
            if (n > 0) {
                deadline = deadline();
            } else {
                await(SelectionKey.OP_WRITE, deadline, "to accept " + what);
            }
        }
    }

    private boolean fill(ByteBuffer b, String what, boolean endAllowed) {
        long deadline = deadline();
        while (b.hasRemaining()) {
            int n;
            try {
                n = channel.read(b);
            } catch (IOException e) {
                throw lost("receiving " + what, e);
            }
            if (n < 0) {
                if (endAllowed && b.position() == 0) {
                    return false;
                }
                throw new IpiException(peer + " closed the connection in the middle of " + what
                        + " (" + b.position() + " of " + b.capacity() + " bytes received)");
            }
            if (n > 0) {
                deadline = deadline();
            } else {
                await(SelectionKey.OP_READ, deadline, "to send " + what);
            }
        }
        return true;
    }

    private long deadline() {
        return timeoutNanos == 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
    }

    private void await(int ops, long deadline, String what) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new IpiException(String.format(Locale.ROOT, "waited %s s for %s %s; giving up (--timeout)",
                    seconds(timeoutNanos), peer, what));
        }
        key.interestOps(ops);
        try {
            // select(0) would wait forever; the deadline is rechecked on the way round
            selector.select(deadline == Long.MAX_VALUE ? 0 : Math.max(1, left / 1_000_000));
        } catch (IOException e) {
            throw lost("waiting for " + peer, e);
        }
        selector.selectedKeys().clear();
    }

    private IpiException lost(String doing, IOException e) {
        return new IpiException("lost the connection to " + peer + " while " + doing + ": " + e.getMessage(), e);
    }

    private static String seconds(long nanos) {
        double s = nanos / 1e9;
        return s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s);
    }

    /** ASCII as it is, anything else as \xNN, so that garbage shows up legibly in one line. */
    static String printable(byte[] bytes, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int c = bytes[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                sb.append((char) c);
            } else {
                sb.append(String.format(Locale.ROOT, "\\x%02x", c));
            }
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
