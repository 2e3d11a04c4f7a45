package dev.nbdref.server;

import dev.nbdref.conformance.Phase;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.ErrorCode;
import dev.nbdref.spec.Magic;
import dev.nbdref.wire.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;

/**
 * The transmission phase of one connection: this (reader) thread reads and validates requests in
 * order, and hands each to the worker pool; workers execute and reply, so replies may complete out of
 * order. At most {@link #MAX_IN_FLIGHT} requests per connection are outstanding: past that the reader
 * stops reading, and TCP pushes back on the client.
 */
final class TransmissionLoop {
    private static final Logger log = LoggerFactory.getLogger(TransmissionLoop.class);
    static final int MAX_IN_FLIGHT = 64;
    /** WRITE payloads over the maximum payload but within this are read and dropped; larger ones end the connection. */
    static final long MAX_DISCARDED_PAYLOAD = 64L << 20;

    private final ConnectionContext ctx;
    private final Session session;
    private final RequestValidator validator;
    private final CommandExecutor executor;
    private final ExecutorService workers;
    private final BufferBudget budget;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private long index;

    TransmissionLoop(ConnectionContext ctx, Session session, ExecutorService workers, BufferBudget budget) {
        this.ctx = ctx;
        this.session = session;
        this.workers = workers;
        this.budget = budget;
        this.validator = new RequestValidator(session, ctx.recorder());
        this.executor = new CommandExecutor(session, ctx.out(), budget);
    }

    /** Serves requests until DISC or the client closes; then waits for every outstanding reply (S61). */
    void run() throws IOException, HardDisconnect, InterruptedException {
        try {
            while (ctx.in().awaitNextMessage()) {
                if (!serveOne()) break;
            }
            if (sawDisconnect) {
                checkNothingAfterDisconnect();
            } else {
                ctx.recorder().record("C17", Phase.TRANSMISSION, index, ctx.in().position(),
                        "the client closed the connection without NBD_CMD_DISC", null, "connection closed");
            }
        } finally {
            inFlight.acquire(MAX_IN_FLIGHT); // drain: every request read has been answered
            inFlight.release(MAX_IN_FLIGHT);
        }
    }

    private boolean sawDisconnect;

    /** C32: a client must send nothing after DISC; what already arrived is visible without waiting. */
    private void checkNothingAfterDisconnect() throws IOException {
        int extra = ctx.in().available();
        if (extra > 0) {
            ctx.recorder().record("C32", Phase.TRANSMISSION, index, ctx.in().position(),
                    extra + " bytes arrived after NBD_CMD_DISC", null, "ignored; connection closed");
        }
    }

    /** Reads and dispatches one request; false after DISC. */
    private boolean serveOne() throws IOException, HardDisconnect, InterruptedException {
        long start = ctx.in().position();
        byte[] header = ctx.in().readExactly(Request.COMPACT_SIZE);
        index++;
        int magic = ByteBuffer.wrap(header).getInt();
        if (magic != Magic.REQUEST) {
            // An option sent after GO shows up here starting with "IHAV" (C14); anything else is a bad header (C18).
            String rule = magic == (int) (Magic.IHAVEOPT >>> 32) ? "C14" : "C18";
            ctx.recorder().record(rule, Phase.TRANSMISSION, index, start,
                    String.format("request magic 0x%08x is not NBD_REQUEST_MAGIC", magic), header,
                    "hard disconnect: the stream cannot be resynchronised");
            throw new HardDisconnect("bad request magic");
        }
        Request r = Request.decodeCompact(header);
        RequestValidator.Position at = new RequestValidator.Position(index, start, header);
        Optional<RequestError> error = validator.check(r, at);
        if (r.command() == CommandType.DISC) {
            sawDisconnect = true;
            return false;
        }
        ByteBuffer payload = readPayload(r, error.isPresent());
        if (error.isEmpty() && ctx.isShuttingDown()) { // S69: drain, refuse new work
            error = Optional.of(new RequestError(ErrorCode.ESHUTDOWN, "server is shutting down"));
        }
        dispatch(r, payload, error);
        return true;
    }

    /** A WRITE's payload: read into a budgeted buffer, or consumed and dropped when the request is refused. */
    private ByteBuffer readPayload(Request r, boolean refused) throws IOException, HardDisconnect, InterruptedException {
        if (r.command() != CommandType.WRITE || r.length() == 0) return null;
        if (refused) {
            if (r.length() > MAX_DISCARDED_PAYLOAD) {
                throw new HardDisconnect("WRITE payload of " + r.length() + " bytes is too large to skip");
            }
            ctx.in().skip(r.length());
            return null;
        }
        ByteBuffer buf = budget.take((int) r.length());
        try {
            ctx.in().readFully(buf);
        } catch (IOException e) {
            budget.release(buf);
            throw e;
        }
        return buf.flip();
    }

    private void dispatch(Request r, ByteBuffer payload, Optional<RequestError> error) throws InterruptedException {
        inFlight.acquire();
        try {
            workers.execute(() -> work(r, payload, error));
        } catch (RejectedExecutionException e) {
            inFlight.release();
            if (payload != null) budget.release(payload);
            throw new IllegalStateException("worker pool closed", e);
        }
    }

    private void work(Request r, ByteBuffer payload, Optional<RequestError> error) {
        try {
            if (error.isPresent()) {
                if (payload != null) budget.release(payload);
                executor.replyError(r, error.get());
            } else {
                executor.execute(r, payload);
            }
        } catch (IOException e) {
            log.debug("[{}] reply to {} not delivered: {}", ctx.id(), r, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("[{}] internal error on {}", ctx.id(), r, e);
        } finally {
            inFlight.release();
        }
    }
}
