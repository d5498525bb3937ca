package org.painn4j.ipi;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Where the i-PI server listens: a unix-domain socket or a TCP host and port. */
public final class Endpoint {
    /** i-PI's and ASE's default TCP port. */
    public static final int DEFAULT_PORT = 31415;
    /** i-PI and ASE put a unix socket named NAME at this prefix followed by NAME. */
    public static final String UNIX_PREFIX = "/tmp/ipi_";

    private final Path unixPath;
    private final String host;
    private final int port;

    private Endpoint(Path unixPath, String host, int port) {
        this.unixPath = unixPath;
        this.host = host;
        this.port = port;
    }

    /** The socket i-PI and ASE call NAME, /tmp/ipi_NAME; a name that is an absolute path is taken as it is. */
    public static Endpoint unix(String name) {
        if (name.isEmpty()) {
            throw new IpiException("--unix needs a socket name");
        }
        return new Endpoint(Path.of(name.startsWith("/") ? name : UNIX_PREFIX + name), null, 0);
    }

    public static Endpoint tcp(String host, int port) {
        if (port < 1 || port > 65535) {
            throw new IpiException("--port must be in 1..65535, got " + port);
        }
        return new Endpoint(null, host, port);
    }

    public boolean isUnix() {
        return unixPath != null;
    }

    public String describe() {
        return isUnix() ? "unix socket " + unixPath : "TCP " + host + ":" + port;
    }

    /**
     * Connects, retrying while nothing listens yet (the server may still be starting, as in
     * "i-pi input.xml & painn4j ipi ..."), for at most {@code waitSeconds}.
     */
    public SocketChannel connect(double waitSeconds) {
        long deadline = System.nanoTime() + (long) (Math.max(0, waitSeconds) * 1e9);
        while (true) {
            try {
                return attempt(deadline);
            } catch (ConnectException | NotYetListening e) {
                if (System.nanoTime() >= deadline) {
                    throw new IpiException(describe() + ": cannot connect"
                            + (waitSeconds > 0 ? String.format(Locale.ROOT, " within %s s", waitSeconds) : "")
                            + " (" + e.getMessage() + "); is the server running?");
                }
            } catch (IOException e) {
                throw new IpiException(describe() + ": cannot connect: " + e.getMessage(), e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IpiException(describe() + ": interrupted while connecting");
            }
        }
    }

    /** A unix socket file that does not exist yet, or exists but has nobody listening. */
    private static final class NotYetListening extends IOException {
        NotYetListening(String message) {
            super(message);
        }
    }

    private SocketChannel attempt(long deadline) throws IOException {
        SocketAddress address;
        SocketChannel channel;
        if (isUnix()) {
            if (!Files.exists(unixPath)) {
                throw new NotYetListening("no such socket");
            }
            address = UnixDomainSocketAddress.of(unixPath);
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        } else {
            InetSocketAddress inet = new InetSocketAddress(host, port);
            if (inet.isUnresolved()) {
                throw new IpiException(describe() + ": unknown host " + host);
            }
            address = inet;
            channel = SocketChannel.open(inet.getAddress() instanceof java.net.Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            // Every reply is one small message answering a request; Nagle would hold it back.
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        try {
            connect(channel, address, deadline);
            return channel;
        } catch (SocketException e) {
            channel.close();
            // A stale unix socket file left by a server that died refuses like a closed port.
            if (isUnix() && e.getMessage() != null && e.getMessage().contains("refused")) {
                throw new NotYetListening(e.getMessage());
            }
            throw e;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * A non-blocking connect, so that an unreachable host cannot hold us for the kernel's
     * minutes; each attempt gets a few seconds even when the retry window has run out.
     */
    private void connect(SocketChannel channel, SocketAddress address, long retryDeadline) throws IOException {
        long deadline = Math.max(retryDeadline, System.nanoTime() + 5_000_000_000L);
        channel.configureBlocking(false);
        try {
            if (channel.connect(address)) {
                return;
            }
        } catch (UnresolvedAddressException e) {
            throw new IpiException(describe() + ": unknown host " + host);
        }
        try (Selector selector = Selector.open()) {
            channel.register(selector, SelectionKey.OP_CONNECT);
            while (!channel.finishConnect()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ConnectException("no answer");
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
