package dev.nbdref.server;

import dev.nbdref.conformance.ConnectionReport;
import dev.nbdref.conformance.ConnectionRecorder;
import dev.nbdref.spec.RequirementCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The listener and lifecycle: accepts clients, runs each {@link Connection} on its own thread, and
 * shuts down gracefully (new options get ERR_SHUTDOWN, new requests ESHUTDOWN, in-flight ones finish).
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NbdServer.class);
    /** Bytes one connection may hold: three maximum-size payloads (less when the server's budget is small). */
    static final int CONNECTION_BUDGET = 96 << 20;

    private final ServerConfig config;
    private final ExportRegistry exports;
    private final RequirementCatalog catalog = RequirementCatalog.standard();
    private final Consumer<ConnectionReport> reports;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    /** Bytes all connections together may hold in buffers: 1 GiB, or a quarter of the heap (BufferBudget.forHeap). */
    private final BufferBudget budget;
    /** Each connection's slice of it. */
    private final int connectionBudget;
    private final AtomicInteger nextId = new AtomicInteger(1);
    /** Connections open at once (ServerConfig.maxConnections); at the limit the acceptor waits. */
    private final ConnectionSlots slots;
    /** Negotiation deadlines and the transmission phase's watchdogs. */
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(daemonThreads("nbdref-timer"));
    private final ServerSocket listener;
    private final Thread acceptor;
    private volatile boolean shuttingDown;

    private NbdServer(ServerConfig config, Consumer<ConnectionReport> reports) throws IOException {
        this.config = config;
        this.exports = new ExportRegistry(config.exports());
        this.reports = reports;
        int largest = (int) Math.min(Integer.toUnsignedLong(config.sizes().maximumPayload()),
                BufferBudget.MAX_SERVER_BUDGET);
        this.budget = BufferBudget.forHeap(Runtime.getRuntime().maxMemory(), largest);
        // At most half the budget, so a client that stops reading cannot pin all of it; but a maximum-size payload
        // must fit (in the smallest heaps the two are the same, and only the I/O timeout frees what it holds).
        this.connectionBudget = (int) Math.min(CONNECTION_BUDGET, Math.max(largest, budget.capacity() / 2));
        this.slots = new ConnectionSlots(config.maxConnections());
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(InetAddress.getByName(config.host()), config.port()), 128);
        this.acceptor = daemonThreads("nbdref-accept").newThread(this::acceptLoop);
    }

    /** Binds and starts accepting; {@code reports} receives each connection's violations when it ends. */
    public static NbdServer start(ServerConfig config, Consumer<ConnectionReport> reports) throws IOException {
        NbdServer server = new NbdServer(config, reports);
        server.acceptor.start();
        log.info("listening on {}:{}; buffer budget {} MiB ({} MiB a connection), I/O timeout {}, connection"
                        + " limit {}", config.host(), server.port(), server.budget.capacity() >> 20,
                server.connectionBudget >> 20,
                config.ioTimeout().isZero() ? "none" : IoWatchdog.describe(config.ioTimeout()),
                config.maxConnections());
        return server;
    }

    public static NbdServer start(ServerConfig config) throws IOException {
        return start(config, r -> { });
    }

    public int port() { return listener.getLocalPort(); }

    /** Connections currently open (negotiating or transmitting). */
    public int activeConnections() { return connections.size(); }

    /** Buffer bytes no connection holds right now; the whole budget once every connection has let go. */
    long idleBufferBytes() { return budget.available(); }

    /** The server-wide buffer budget in bytes. */
    long bufferBudget() { return budget.capacity(); }

    /** One URI per export with the real port (doc/uri.md): nbds:// where the export can only be used over TLS. */
    public List<URI> uris() {
        List<URI> out = new ArrayList<>();
        for (Export e : exports.all()) {
            try { // this constructor brackets an IPv6 host and quotes the name as a URI path needs
                String scheme = config.needsTls(e) ? "nbds" : "nbd";
                out.add(new URI(scheme, null, config.host(), port(), "/" + e.name(), null, null));
            } catch (URISyntaxException ex) {
                throw new IllegalStateException(ex);
            }
        }
        return out;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                slots.take(); // before accept: at the limit, clients wait in the backlog (ConnectionSlots)
            } catch (InterruptedException e) {
                return; // shutdown
            }
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                slots.give();
                if (!listener.isClosed()) log.warn("accept failed: {}", e.toString());
                continue;
            }
            serve(socket);
        }
    }

    /** Runs the accepted client on its own thread; its slot returns when it has ended ({@link #ended}). */
    private void serve(Socket socket) {
        String id = "c" + nextId.getAndIncrement();
        Connection c = null;
        try {
            ConnectionContext ctx = new ConnectionContext(id, socket, new ClientInput(socket.getInputStream()),
                    new ReplySender(socket.getOutputStream()), new ConnectionRecorder(catalog, id), exports, config,
                    () -> shuttingDown);
            c = new Connection(socket, ctx, budget.slice(connectionBudget), this::ended, timers);
            connections.add(c);
            Thread t = new Thread(c, "nbdref-" + id);
            t.setDaemon(true);
            t.start();
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            // The socket closed under us, or no thread could be had ("unable to create native thread"): refuse
            // this client and keep accepting, rather than let the acceptor die with the slot still taken.
            log.warn("[{}] could not start: {}", id, e.toString());
            if (c != null) connections.remove(c);
            closeQuietly(socket);
            slots.give();
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    /**
     * Reports the connection, then forgets it: shutdown waits until no connection is left, so removing it first
     * would let the server exit before the last connection's report is written.
     */
    private void ended(Connection c) {
        ConnectionRecorder r = c.recorder();
        try {
            reports.accept(ConnectionReport.of(r, c.peer(), c.started(), Instant.now(), c.exportName()));
        } catch (RuntimeException e) {
            log.error("could not report connection {}", c.id(), e);
        } finally {
            connections.remove(c);
            slots.give();
        }
    }

    /**
     * Stops accepting, lets clients finish (they see ERR_SHUTDOWN / ESHUTDOWN for new work, S10, S69) for up to
     * the configured grace period, then closes what is left, flushes and closes the devices.
     */
    public void shutdown() {
        if (shuttingDown) return;
        shuttingDown = true;
        log.info("shutting down: waiting up to {} for {} client(s)", config.shutdownGrace(), connections.size());
        closeListener();
        acceptor.interrupt(); // it may be waiting for a slot rather than in accept()
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        while (!connections.isEmpty() && System.nanoTime() < deadline) sleep(20);
        connections.forEach(Connection::closeQuietly);
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!connections.isEmpty() && System.nanoTime() < deadline) sleep(20); // their workers finish
        if (!connections.isEmpty()) log.warn("{} connection(s) still busy after 10 s", connections.size());
        timers.shutdownNow();
        try {
            exports.close();
        } catch (IOException e) {
            log.error("closing exports failed: {}", e.toString());
        }
        log.info("stopped");
    }

    @Override
    public void close() { shutdown(); }

    private void closeListener() {
        try {
            listener.close();
        } catch (IOException e) {
            log.warn("closing the listener: {}", e.toString());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
