package dev.nbdref.server;

import dev.nbdref.tls.TlsMode;
import dev.nbdref.tls.TlsUpgrader;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything a server needs to run, already parsed and checked.
 *
 * @param host            address to listen on (loopback by default)
 * @param port            TCP port; 0 picks a free one
 * @param exports         the exports, opened
 * @param sizes           block size constraints advertised and enforced
 * @param report          where to write the violation report after each connection, or null
 * @param shutdownGrace   how long a shutdown waits for clients to disconnect before closing them
 * @param handshakeTimeout how long a client may take to finish negotiating (TLS handshake included)
 * @param ioTimeout       transmission phase: how long a started request may take to arrive, and how long a reply
 *                        write may wait for the client to read (see {@link IoWatchdog}); zero means no limit
 * @param tlsMode         NOTLS, SELECTIVETLS or FORCEDTLS
 * @param tls             performs TLS handshakes; null exactly when tlsMode is OFF
 * @param behavior        what the server offers and any fault it injects (validator profiles)
 * @param maxConnections  connections open at once; further clients wait to be accepted (see NbdServer)
 */
public record ServerConfig(String host, int port, List<Export> exports, SizeConstraints sizes, Path report,
                           Duration shutdownGrace, Duration handshakeTimeout, Duration ioTimeout, TlsMode tlsMode,
                           TlsUpgrader tls, ServerBehavior behavior, int maxConnections) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 10809;
    /**
     * As long as the negotiation deadline: far beyond what a live client on a congested link or a briefly paused
     * VM needs to finish sending a request or to take up its replies, yet it frees a stalled client's reader
     * thread, workers and buffers within a minute.
     */
    public static final Duration DEFAULT_IO_TIMEOUT = Duration.ofSeconds(60);
    /**
     * Each connection costs a reader thread, up to eight workers (two pools of four) and about 200 KiB of stream
     * buffers (more over TLS) that the buffer budget does not count, so 256 of them come to at most 2,304 threads
     * and some 50 MiB of heap: affordable beside the budget from a heap of a few hundred MiB up (a 96 MiB heap
     * wants a lower limit),
     * yet far more clients than one server usually sees (qemu opens one connection, or a few with multi-conn).
     * qemu-nbd allows 1 by default (--shared); nbd-server and nbdkit set no limit unless asked.
     */
    public static final int DEFAULT_MAX_CONNECTIONS = 256;

    public ServerConfig {
        exports = List.copyOf(exports);
        if (ioTimeout.isNegative()) throw new IllegalArgumentException("the I/O timeout cannot be negative");
        if (maxConnections < 1) throw new IllegalArgumentException("the connection limit must be at least 1");
        if ((tlsMode == TlsMode.OFF) != (tls == null)) {
            throw new IllegalArgumentException("TLS credentials are needed exactly when the TLS mode is not off");
        }
        if (tlsMode == TlsMode.OFF && exports.stream().anyMatch(Export::tlsOnly)) {
            throw new IllegalArgumentException("a tls-only export needs --tls-mode on or require");
        }
    }

    /** With the default connection limit. */
    public ServerConfig(String host, int port, List<Export> exports, SizeConstraints sizes, Path report,
                        Duration shutdownGrace, Duration handshakeTimeout, Duration ioTimeout, TlsMode tlsMode,
                        TlsUpgrader tls, ServerBehavior behavior) {
        this(host, port, exports, sizes, report, shutdownGrace, handshakeTimeout, ioTimeout, tlsMode, tls, behavior,
                DEFAULT_MAX_CONNECTIONS);
    }

    /** With the default I/O timeout. */
    public ServerConfig(String host, int port, List<Export> exports, SizeConstraints sizes, Path report,
                        Duration shutdownGrace, Duration handshakeTimeout, TlsMode tlsMode, TlsUpgrader tls,
                        ServerBehavior behavior) {
        this(host, port, exports, sizes, report, shutdownGrace, handshakeTimeout, DEFAULT_IO_TIMEOUT, tlsMode, tls,
                behavior);
    }

    /** Without TLS. */
    public ServerConfig(String host, int port, List<Export> exports, SizeConstraints sizes, Path report,
                        Duration shutdownGrace, Duration handshakeTimeout) {
        this(host, port, exports, sizes, report, shutdownGrace, handshakeTimeout, TlsMode.OFF, null,
                ServerBehavior.standard());
    }

    public static ServerConfig of(String host, int port, List<Export> exports) {
        return new ServerConfig(host, port, exports, SizeConstraints.defaults(), null, Duration.ofSeconds(5),
                Duration.ofSeconds(60));
    }

    public ServerConfig withSizes(SizeConstraints s) {
        return new ServerConfig(host, port, exports, s, report, shutdownGrace, handshakeTimeout, ioTimeout, tlsMode,
                tls, behavior, maxConnections);
    }

    public ServerConfig withReport(Path r) {
        return new ServerConfig(host, port, exports, sizes, r, shutdownGrace, handshakeTimeout, ioTimeout, tlsMode,
                tls, behavior, maxConnections);
    }

    public ServerConfig withTls(TlsMode mode, TlsUpgrader upgrader) {
        return new ServerConfig(host, port, exports, sizes, report, shutdownGrace, handshakeTimeout, ioTimeout, mode,
                upgrader, behavior, maxConnections);
    }

    public ServerConfig withBehavior(ServerBehavior b) {
        return new ServerConfig(host, port, exports, sizes, report, shutdownGrace, handshakeTimeout, ioTimeout, tlsMode,
                tls, b, maxConnections);
    }

    /** {@code timeout} zero: no transmission-phase time limit. */
    public ServerConfig withIoTimeout(Duration timeout) {
        return new ServerConfig(host, port, exports, sizes, report, shutdownGrace, handshakeTimeout, timeout, tlsMode,
                tls, behavior, maxConnections);
    }

    /** At most {@code limit} (at least 1) connections open at once. */
    public ServerConfig withMaxConnections(int limit) {
        return new ServerConfig(host, port, exports, sizes, report, shutdownGrace, handshakeTimeout, ioTimeout, tlsMode,
                tls, behavior, limit);
    }

    /** True when {@code export} may not be used before TLS is up (S27, S28). */
    public boolean needsTls(Export export) {
        return tlsMode == TlsMode.REQUIRE || (tlsMode == TlsMode.ON && export.tlsOnly());
    }
}
