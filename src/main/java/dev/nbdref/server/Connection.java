package dev.nbdref.server;

import dev.nbdref.conformance.Phase;
import dev.nbdref.conformance.ConnectionRecorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** One client, from accept to close: negotiation, then transmission. Runs on its own reader thread. */
final class Connection implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);
    /** Requests of one connection executing at once; more wait in its queue (bounded by the in-flight limit). */
    static final int WORKERS_PER_CONNECTION = 4;

    private final Socket socket;
    private final ConnectionContext ctx;
    private final BufferBudget budget;
    private final ConnectionListener listener;
    private final Instant started = Instant.now();
    private final ScheduledExecutorService timers;
    private volatile boolean negotiationExpired;
    private volatile String exportName;

    /** Told when a connection ends, with what was recorded. */
    interface ConnectionListener {
        void ended(Connection connection);
    }

    Connection(Socket socket, ConnectionContext ctx, BufferBudget budget, ConnectionListener listener,
               ScheduledExecutorService timers) {
        this.socket = socket;
        this.ctx = ctx;
        this.timers = timers;
        this.budget = budget;
        this.listener = listener;
    }

    @Override
    public void run() {
        log.info("[{}] connected from {}", ctx.id(), socket.getRemoteSocketAddress());
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) ctx.config().handshakeTimeout().toMillis());
            // SO_TIMEOUT bounds each read; this bounds the whole negotiation, so a client dribbling a byte at a
            // time cannot hold a connection (and its thread) forever.
            ScheduledFuture<?> deadline = timers.schedule(this::expireNegotiation,
                    ctx.config().handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            Optional<Session> session;
            try {
                session = new OptionNegotiator(ctx).run();
            } finally {
                deadline.cancel(false);
            }
            if (session.isPresent()) {
                exportName = session.get().export().name();
                socket.setSoTimeout(0); // transmission connections may idle for as long as they like
                log.info("[{}] transmission on export \"{}\"", ctx.id(), exportName);
                ExecutorService workers = workersFor(ctx.id());
                try {
                    new TransmissionLoop(ctx, session.get(), workers, budget).run();
                } finally {
                    workers.shutdown();
                }
            }
            ctx.out().close(); // a soft end: over TLS this sends close_notify (S61)
        } catch (HardDisconnect e) {
            log.info("[{}] hard disconnect: {}", ctx.id(), e.getMessage());
            ctx.recorder().ended("server hard disconnect: " + e.getMessage());
        } catch (SocketTimeoutException e) {
            log.info("[{}] negotiation timed out after {}", ctx.id(), ctx.config().handshakeTimeout());
            ctx.recorder().ended("negotiation timed out after " + ctx.config().handshakeTimeout().toSeconds() + " s");
        } catch (EOFException e) {
            ctx.recorder().ended("client closed the connection in the middle of a message");
            ctx.recorder().record("C17", exportName == null ? Phase.OPTIONS : Phase.TRANSMISSION, 0,
                    ctx.in().position(), e.getMessage(), null, "connection closed");
        } catch (SocketException e) {
            if (negotiationExpired) {
                log.info("[{}] negotiation not finished within {}", ctx.id(), ctx.config().handshakeTimeout());
                ctx.recorder().ended("negotiation not finished within "
                        + ctx.config().handshakeTimeout().toSeconds() + " s");
            } else {
                log.info("[{}] connection lost: {}", ctx.id(), e.getMessage());
                ctx.recorder().ended("connection lost: " + e.getMessage());
            }
        } catch (IOException e) {
            log.warn("[{}] I/O error: {}", ctx.id(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("[{}] internal error", ctx.id(), e);
        } finally {
            closeQuietly();
            log.info("[{}] closed", ctx.id());
            listener.ended(this);
        }
    }

    /**
     * Each connection has its own workers, so a client that stops reading its replies blocks only its own
     * threads, never another client's.
     */
    private static ExecutorService workersFor(String id) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(WORKERS_PER_CONNECTION, WORKERS_PER_CONNECTION, 30,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(), NbdServer.daemonThreads("nbdref-" + id + "-worker"));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private void expireNegotiation() {
        negotiationExpired = true;
        closeQuietly();
    }

    /** Closes the socket; a reader blocked on it wakes up with an exception. */
    void closeQuietly() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more to do for a socket that will not close
        }
    }

    String id() { return ctx.id(); }

    String peer() { return String.valueOf(socket.getRemoteSocketAddress()); }

    String exportName() { return exportName; }

    Instant started() { return started; }

    ConnectionRecorder recorder() { return ctx.recorder(); }
}
