package dev.nbdref.bitmap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The management channel of a running server: a Unix domain socket speaking JSON lines (spec/management.md),
 * through which a backup tool adds, clears, swaps and lists bitmaps without a restart.
 *
 * <p>Threads: one acceptor, one per client (platform daemon threads), at most {@link #MAX_CLIENTS} clients; a
 * client past that gets one {@code busy} error line and is disconnected. Lines are limited to
 * {@link #MAX_LINE_BYTES}. A bad line gets an error response and the connection stays open.
 *
 * <p>The socket is made owner-only (0600) after binding: whoever can connect can clear bitmaps.
 */
public final class ManagementServer implements Closeable {
    public static final int MAX_CLIENTS = 16;
    public static final int MAX_LINE_BYTES = 1 << 20;
    private static final Logger log = LoggerFactory.getLogger(ManagementServer.class);

    private final Path socket;
    private final ManagementProtocol protocol;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final AtomicInteger clientNumbers = new AtomicInteger();
    private ServerSocketChannel listener;
    private volatile boolean closed;

    /** A channel for these exports' bitmaps (export name to its set); {@link #start()} opens the socket. */
    public ManagementServer(Path socket, Map<String, BitmapSet> exportsByName) {
        this.socket = socket.toAbsolutePath();
        this.protocol = new ManagementProtocol(exportsByName);
    }

    public Path socket() {
        return socket;
    }

    /**
     * Binds the socket and starts accepting. A leftover socket file whose server is gone is replaced; a live one,
     * or any other kind of file at that path, is an error.
     */
    public synchronized void start() throws IOException {
        if (listener != null) throw new IllegalStateException("already started");
        removeStaleSocket();
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        listener = channel;
        daemon("nbdref-manage-accept", this::acceptLoop);
        log.info("management socket {}", socket);
    }

    /** Stops accepting, disconnects every client and removes the socket file. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (listener == null) return;
        try {
            listener.close();
        } catch (IOException e) {
            log.warn("closing the management socket: {}", e.toString());
        }
        for (SocketChannel c : clients) closeQuietly(c);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.warn("removing {}: {}", socket, e.toString());
        }
    }

    private void removeStaleSocket() throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
        BasicFileAttributes attrs = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isOther()) { // never delete a regular file, directory or link someone named by mistake
            throw new FileAlreadyExistsException(socket.toString(), null, "exists and is not a socket");
        }
        boolean live;
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            live = probe.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) { // refused: the server that made it is gone
            live = false;
        }
        if (live) throw new FileAlreadyExistsException(socket.toString(), null, "another process is listening on it");
        log.info("replacing stale management socket {}", socket);
        Files.delete(socket);
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = listener.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) log.warn("management accept failed: {}", e.toString());
                continue;
            }
            if (clients.size() >= MAX_CLIENTS) {
                refuse(client);
                continue;
            }
            clients.add(client);
            if (closed) { // close() may have run between accept and add
                closeQuietly(client);
                return;
            }
            daemon("nbdref-manage-" + clientNumbers.incrementAndGet(), () -> serve(client));
        }
    }

    private void refuse(SocketChannel client) {
        try (client; OutputStream out = Channels.newOutputStream(client)) {
            send(out, protocol.failure("busy", "too many management connections (at most " + MAX_CLIENTS + ")"));
        } catch (IOException e) {
            log.debug("refusing a management client: {}", e.toString());
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            InputStream in = Channels.newInputStream(client);
            OutputStream out = Channels.newOutputStream(client);
            BoundedLineReader reader = new BoundedLineReader(in, MAX_LINE_BYTES);
            for (BoundedLineReader.Line line; (line = reader.readLine()) != null; ) {
                if (line.tooLong()) {
                    send(out, protocol.failure("bad-request", "request line longer than " + MAX_LINE_BYTES + " bytes"));
                } else if (!line.text().isBlank()) { // blank lines are not requests: nothing to answer
                    send(out, protocol.answer(line.text()));
                }
            }
        } catch (IOException e) {
            if (!closed) log.debug("management client ended: {}", e.toString());
        } finally {
            clients.remove(client);
        }
    }

    private static void send(OutputStream out, String response) throws IOException {
        out.write((response + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // the client is going away anyway
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }
}
