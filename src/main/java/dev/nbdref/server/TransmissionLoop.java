package dev.nbdref.server;

import dev.nbdref.conformance.Phase;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.ErrorCode;
import dev.nbdref.spec.Magic;
import dev.nbdref.wire.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    private final Workers workers;
    private final BufferBudget budget;
    private final IoWatchdog watchdog;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final Set<Long> cookiesInFlight = ConcurrentHashMap.newKeySet();
    private final ServerBehavior.Fault fault;
    /** When the first ESHUTDOWN reply went out (nanoTime), or 0. */
    private volatile long shutdownAnnouncedAt;
    private boolean ignoredShutdownRecorded;
    /** A client reacting to ESHUTDOWN has this long before more requests count as ignoring it (C16). */
    private static final long SHUTDOWN_REACTION_NANOS = 100_000_000L;
    private long index;

    TransmissionLoop(ConnectionContext ctx, Session session, Workers workers, BufferBudget budget,
                     IoWatchdog watchdog) {
        this.ctx = ctx;
        this.watchdog = watchdog;
        this.session = session;
        this.workers = workers;
        this.budget = budget;
        this.validator = new RequestValidator(session, ctx.recorder());
        this.fault = ctx.config().behavior().fault();
        this.executor = new CommandExecutor(session,
                new ReplyWriter(ctx.out(), session.framing(), cookiesInFlight::remove), budget, ctx.config().behavior());
    }

    /**
     * Serves requests until DISC or the client closes; then waits for every outstanding reply (S61). When the
     * watchdog has cut the connection off, whatever the closed socket then reports (an error, or an end of stream
     * under TLS) is not the client's doing: it ends as the hard disconnect it is.
     */
    void run() throws IOException, HardDisconnect, InterruptedException {
        try {
            serveAll();
        } catch (IOException e) {
            if (watchdog.fired()) throw new HardDisconnect(watchdog.reason());
            throw e;
        } finally {
            inFlight.acquire(MAX_IN_FLIGHT); // drain: every request read has been answered
            inFlight.release(MAX_IN_FLIGHT);
        }
        if (watchdog.fired()) throw new HardDisconnect(watchdog.reason()); // while the last replies waited
    }

    private void serveAll() throws IOException, HardDisconnect, InterruptedException {
        while (!watchdog.fired() && ctx.in().awaitNextMessage()) {
            if (!serveOne()) break;
        }
        if (watchdog.fired()) throw new HardDisconnect(watchdog.reason());
        if (sawDisconnect) {
            ctx.recorder().ended("NBD_CMD_DISC");
            checkNothingAfterDisconnect();
        } else {
            ctx.recorder().ended("client closed the connection without NBD_CMD_DISC");
            ctx.recorder().record("C17", Phase.TRANSMISSION, index, ctx.in().position(),
                    "the client closed the connection without NBD_CMD_DISC", null, "connection closed");
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
        boolean extended = session.extendedHeaders();
        index++;
        // The magic alone first: an option sent after GO is shorter than a request header, and must be named
        // (C14) rather than waited on until the client gives up.
        byte[] magic = ctx.in().readExactly(4);
        checkMagic(ByteBuffer.wrap(magic).getInt(), extended, new RequestValidator.Position(index, start, magic));
        byte[] header = ByteBuffer.allocate(extended ? Request.EXTENDED_SIZE : Request.COMPACT_SIZE).put(magic)
                .put(ctx.in().readExactly((extended ? Request.EXTENDED_SIZE : Request.COMPACT_SIZE) - 4)).array();
        RequestValidator.Position at = new RequestValidator.Position(index, start, header);
        Request r = extended ? Request.decodeExtended(header) : Request.decodeCompact(header);
        ctx.recorder().command(CommandType.nameOf(r.type()));
        if (fault.is(ServerBehavior.Fault.Kind.CLOSE_IN_TRANSMISSION) && index > fault.after()) {
            throw new HardDisconnect("injected fault: close on request " + index);
        }
        checkReactionToShutdown(r, at);
        long payloadLength = payloadLength(r, extended);
        if (Long.compareUnsigned(payloadLength, Integer.toUnsignedLong(session.sizes().maximumPayload())) > 0) {
            refuseOversizedPayload(r, payloadLength, extended, at);
            return true;
        }
        ByteBuffer payload = payloadLength == 0 ? null : readPayload((int) payloadLength);
        RequestValidator.Prepared p = validator.prepare(r, payload, at);
        if (r.command() == CommandType.DISC) {
            if (payload != null) budget.release(payload);
            sawDisconnect = true;
            return false;
        }
        Optional<RequestError> error = p.error();
        if (error.isEmpty() && refusingNewWork()) { // S69: drain, refuse new work
            error = Optional.of(new RequestError(ErrorCode.ESHUTDOWN, "server is shutting down"));
        }
        if (error.isPresent() || r.command() != CommandType.WRITE) { // only a WRITE keeps its payload
            if (payload != null) budget.release(payload);
            payload = null;
        }
        dispatch(p.request(), payload, p.contexts(), error);
        return true;
    }

    private boolean refusingNewWork() {
        return ctx.isShuttingDown()
                || (fault.is(ServerBehavior.Fault.Kind.SHUTDOWN_IN_TRANSMISSION) && index > fault.after());
    }

    /**
     * C16: after ESHUTDOWN the client must wind down with DISC. Requests already on their way when the reply went
     * out are excused: only one that arrives well after it counts.
     */
    private void checkReactionToShutdown(Request r, RequestValidator.Position at) {
        long announced = shutdownAnnouncedAt;
        if (announced != 0 && !ignoredShutdownRecorded && r.command() != CommandType.DISC
                && System.nanoTime() - announced > SHUTDOWN_REACTION_NANOS) {
            ctx.recorder().record("C16", Phase.TRANSMISSION, index, at.byteOffset(), CommandType.nameOf(r.type())
                    + " sent after the server answered ESHUTDOWN", at.header(), "ESHUTDOWN again");
            ignoredShutdownRecorded = true; // once per connection is enough
        }
    }

    /** A wrong magic cannot be skipped: the stream's framing is lost (C14 for an option sent after GO, else C18). */
    private void checkMagic(int magic, boolean extended, RequestValidator.Position at) throws HardDisconnect {
        int expected = extended ? Magic.EXTENDED_REQUEST : Magic.REQUEST;
        if (magic == expected) return;
        String rule = magic == (int) (Magic.IHAVEOPT >>> 32) ? "C14" : "C18";
        ctx.recorder().record(rule, Phase.TRANSMISSION, index, at.byteOffset(),
                String.format("request magic 0x%08x, expected 0x%08x (%s headers)", magic, expected,
                        extended ? "extended" : "compact"), at.header(),
                "hard disconnect: the stream cannot be resynchronised");
        throw new HardDisconnect("bad request magic");
    }

    /**
     * Bytes of payload after the header: a WRITE's length, or any extended request's with PAYLOAD_LEN. A WRITE
     * under extended headers counts even without the flag: qemu 8.2+ omits it and qemu's server reads the
     * payload anyway, so doing otherwise would desynchronise every qemu client (C50 records it).
     */
    private static long payloadLength(Request r, boolean extended) {
        if (r.command() == CommandType.WRITE) return r.length();
        return extended && r.has(CommandFlag.PAYLOAD_LEN) ? r.length() : 0;
    }

    /**
     * C28: a payload over the maximum. Extended headers: hard disconnect, as the extension asks. Compact: skipped
     * (up to {@link #MAX_DISCARDED_PAYLOAD}) and refused with EINVAL, so the connection survives the mistake.
     */
    private void refuseOversizedPayload(Request r, long length, boolean extended, RequestValidator.Position at)
            throws IOException, HardDisconnect, InterruptedException {
        boolean drop = extended || length > MAX_DISCARDED_PAYLOAD;
        String detail = CommandType.nameOf(r.type()) + " payload of " + Long.toUnsignedString(length)
                + " bytes exceeds the maximum payload " + Integer.toUnsignedString(session.sizes().maximumPayload());
        ctx.recorder().record("C28", Phase.TRANSMISSION, index, at.byteOffset(), detail, at.header(),
                drop ? "hard disconnect" : "payload skipped, EINVAL reply");
        if (drop) throw new HardDisconnect(detail);
        ctx.in().skip(length);
        dispatch(r, null, List.of(), Optional.of(new RequestError(ErrorCode.EINVAL, detail)));
    }

    private ByteBuffer readPayload(int length) throws IOException, InterruptedException {
        ByteBuffer buf = budget.take(length);
        try {
            ctx.in().readFully(buf);
        } catch (IOException e) {
            budget.release(buf);
            throw e;
        }
        return buf.flip();
    }

    /** EIO for a bug of ours; if even that cannot be sent, the connection is dropped rather than left hanging. */
    private void answerAfterInternalError(Request r, RuntimeException cause) {
        try {
            executor.reply().error(r, new RequestError(ErrorCode.EIO, "internal server error: " + cause));
        } catch (IOException | RuntimeException e) {
            ctx.out().abort();
        }
    }

    private void dispatch(Request r, ByteBuffer payload, List<MetaContextSelection.Selected> contexts,
                          Optional<RequestError> error) throws InterruptedException {
        if (!cookiesInFlight.add(r.cookie())) { // C33: replies could not be told apart
            ctx.recorder().record("C33", Phase.TRANSMISSION, index, ctx.in().position(), String.format(
                    "cookie 0x%x reused while a request with it is still in flight", r.cookie()), null, "served anyway");
        }
        inFlight.acquire();
        try {
            workers.execute(payload != null, () -> work(r, payload, contexts, error));
        } catch (RejectedExecutionException e) {
            inFlight.release();
            if (payload != null) budget.release(payload);
            throw new IllegalStateException("worker pool closed", e);
        }
    }

    private void work(Request r, ByteBuffer payload, List<MetaContextSelection.Selected> contexts,
                      Optional<RequestError> error) {
        boolean payloadHandedOn = false; // the executor releases a payload it is given, on every path
        try {
            if (watchdog.fired()) return; // the connection is gone: no device work for a reply nobody will get
            if (error.isPresent()) {
                executor.reply().error(r, error.get());
                if (error.get().code() == ErrorCode.ESHUTDOWN && shutdownAnnouncedAt == 0) {
                    shutdownAnnouncedAt = System.nanoTime();
                }
            } else {
                payloadHandedOn = true;
                executor.execute(r, payload, contexts);
            }
        } catch (IOException e) {
            log.debug("[{}] reply to {} not delivered: {}", ctx.id(), r, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("[{}] internal error on {}", ctx.id(), r, e);
            answerAfterInternalError(r, e); // never leave a request unanswered
        } finally {
            if (!payloadHandedOn && payload != null) budget.release(payload);
            inFlight.release();
        }
    }
}
