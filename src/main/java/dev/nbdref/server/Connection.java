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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** One client, from accept to close: negotiation, then transmission. Runs on its own reader thread. */
final class Connection implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);
    /** Requests of one connection executing at once; more wait in its queue (bounded by the in-flight limit). */

    private final Socket socket;
    private final ConnectionContext ctx;
    private final BufferBudget budget;
    private final ConnectionListener listener;
    private final Instant started = Instant.now();
    private final ScheduledExecutorService timers;
    private final IoWatchdog watchdog;
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
        this.watchdog = new IoWatchdog(ctx.config().ioTimeout(), ctx.in()::messageWaitNanos,
                ctx.out()::writeStalledNanos, this::cutOff);
    }

    @Override
    public void run() {
        log.info("[{}] connected from {}", ctx.id(), socket.getRemoteSocketAddress());
        try {
            socket.setTcpNoDelay(true);
            Optional<Session> session = negotiate();
            if (session.isPresent()) transmit(session.get());
            ctx.out().close(); // a soft end: over TLS this sends close_notify (S61); the watchdog still bounds it
        } catch (HardDisconnect e) {
            hardDisconnect(e.getMessage());
        } catch (IOException e) {
            if (watchdog.fired()) hardDisconnect(watchdog.reason()); // whatever the closed socket made of it
            else ended(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("[{}] internal error", ctx.id(), e);
        } finally {
            watchdog.stop();
            closeQuietly();
            log.info("[{}] closed", ctx.id());
            listener.ended(this);
        }
    }

    /**
     * SO_TIMEOUT bounds each read; the timer bounds the whole negotiation, so a client dribbling a byte at a time
     * cannot hold a connection (and its thread) for ever.
     */
    private Optional<Session> negotiate() throws IOException, HardDisconnect, InterruptedException {
        socket.setSoTimeout((int) ctx.config().handshakeTimeout().toMillis());
        ScheduledFuture<?> deadline = timers.schedule(this::expireNegotiation,
                ctx.config().handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        try {
            return new OptionNegotiator(ctx, budget).run();
        } finally {
            deadline.cancel(false);
        }
    }

    private void transmit(Session session) throws IOException, HardDisconnect, InterruptedException {
        exportName = session.export().name();
        socket.setSoTimeout(0); // an idle connection may stay as long as it likes; the watchdog bounds the rest
        log.info("[{}] transmission on export \"{}\"", ctx.id(), exportName);
        Workers workers = Workers.forConnection(ctx.id());
        watchdog.start(timers);
        try {
            new TransmissionLoop(ctx, session, workers, budget, watchdog).run();
        } finally {
            workers.shutdown();
        }
    }

    private void hardDisconnect(String why) {
        log.info("[{}] hard disconnect: {}", ctx.id(), why);
        ctx.recorder().ended("server hard disconnect: " + why);
    }

    /** How an I/O failure ended the connection, when the server did not end it on purpose. */
    private void ended(IOException e) {
        String bound = ctx.config().handshakeTimeout().toSeconds() + " s";
        if (e instanceof SocketTimeoutException) {
            log.info("[{}] negotiation timed out after {}", ctx.id(), ctx.config().handshakeTimeout());
            ctx.recorder().ended("negotiation timed out after " + bound);
        } else if (e instanceof EOFException) {
            ctx.recorder().ended("client closed the connection in the middle of a message");
            ctx.recorder().record("C17", exportName == null ? Phase.OPTIONS : Phase.TRANSMISSION, 0,
                    ctx.in().position(), e.getMessage(), null, "connection closed");
        } else if (e instanceof SocketException && negotiationExpired) {
            log.info("[{}] negotiation not finished within {}", ctx.id(), ctx.config().handshakeTimeout());
            ctx.recorder().ended("negotiation not finished within " + bound);
        } else if (e instanceof SocketException) {
            log.info("[{}] connection lost: {}", ctx.id(), e.getMessage());
            ctx.recorder().ended("connection lost: " + e.getMessage());
        } else {
            log.warn("[{}] I/O error: {}", ctx.id(), e.toString());
        }
    }

    private void expireNegotiation() {
        negotiationExpired = true;
        closeQuietly();
    }

    /**
     * The watchdog's cut-off: a reset rather than an orderly close, so the kernel drops the replies a stalled
     * client never took instead of holding them for it.
     */
    private void cutOff() {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // already closed
        }
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
