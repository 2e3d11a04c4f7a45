package dev.nbdref.server;

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
 * @param handshakeTimeout how long a client may take to finish negotiating
 */
public record ServerConfig(String host, int port, List<Export> exports, SizeConstraints sizes, Path report,
                           Duration shutdownGrace, Duration handshakeTimeout) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 10809;

    public ServerConfig {
        exports = List.copyOf(exports);
    }

    public static ServerConfig of(String host, int port, List<Export> exports) {
        return new ServerConfig(host, port, exports, SizeConstraints.defaults(), null, Duration.ofSeconds(5),
                Duration.ofSeconds(60));
    }

    public ServerConfig withSizes(SizeConstraints s) {
        return new ServerConfig(host, port, exports, s, report, shutdownGrace, handshakeTimeout);
    }

    public ServerConfig withReport(Path r) {
        return new ServerConfig(host, port, exports, sizes, r, shutdownGrace, handshakeTimeout);
    }
}
