package dev.nbdref.server;

import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.Extent;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.ErrorCode;
import dev.nbdref.wire.ReplyChunk;
import dev.nbdref.wire.Request;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs a validated request against the device and sends its reply. Runs on worker threads; several
 * requests of one connection may run at once, and their replies go out in completion order.
 */
final class CommandExecutor {
    /** Largest data chunk of a structured read: bounds the memory one read holds at a time. */
    static final int READ_CHUNK = 4 << 20;
    /** The largest hole one OFFSET_HOLE chunk can describe (its length field is 32 bits). */
    private static final long MAX_HOLE_CHUNK = 0xFFFF_F000L;

    private final Session session;
    private final ReplyWriter reply;
    private final BufferBudget budget;
    private final BlockDevice device;
    private final BlockStatusSource status;
    /** Data per OFFSET_DATA chunk: S45 keeps it within the advertised maximum payload. */
    private final int readChunk;
    private final ServerBehavior behavior;

    CommandExecutor(Session session, ReplyWriter reply, BufferBudget budget, ServerBehavior behavior) {
        this.session = session;
        this.behavior = behavior;
        this.reply = reply;
        this.budget = budget;
        this.device = session.export().device();
        int maxPayload = (int) Math.min(Integer.toUnsignedLong(session.sizes().maximumPayload()), Integer.MAX_VALUE);
        this.status = new BlockStatusSource(session.export(), session.sizes().minimum(), reply.extended(), maxPayload);
        this.readChunk = Math.min(Math.min(READ_CHUNK, behavior.maxDataChunk()), maxPayload);
    }

    ReplyWriter reply() { return reply; }

    /**
     * Executes {@code r}; {@code payload} is the WRITE data (released here), otherwise null;
     * {@code contexts} are the metadata contexts a BLOCK_STATUS reports on.
     */
    void execute(Request r, ByteBuffer payload, List<MetaContextSelection.Selected> contexts)
            throws IOException, InterruptedException {
        try {
            if (behavior.shuffle()) Thread.sleep(ThreadLocalRandom.current().nextInt(12)); // completes out of order
            switch (r.command()) {
                case READ: read(r); return;
                case WRITE: run(r, () -> device.write(r.offset(), payload, r.has(CommandFlag.FUA))); return;
                case FLUSH: run(r, device::flush); return; // S52: every completed write is already in the device
                case TRIM: run(r, () -> device.trim(r.offset(), r.length(), r.has(CommandFlag.FUA))); return;
                case CACHE: run(r, () -> device.cache(r.offset(), r.length())); return;
                case WRITE_ZEROES: run(r, () -> device.writeZeroes(r.offset(), r.length(),
                        !r.has(CommandFlag.NO_HOLE), r.has(CommandFlag.FAST_ZERO), r.has(CommandFlag.FUA))); return;
                case BLOCK_STATUS: blockStatus(r, contexts); return;
                default: throw new IllegalStateException("not executable: " + r);
            }
        } finally {
            if (payload != null) budget.release(payload);
        }
    }

    interface DeviceCall { void run() throws IOException; }

    /** Commands whose success reply carries no data. */
    private void run(Request r, DeviceCall call) throws IOException {
        if (r.length() == 0 && r.command() != CommandType.FLUSH) { // C30: nothing to do
            reply.ok(r);
            return;
        }
        try {
            call.run();
        } catch (IOException | RuntimeException e) {
            reply.error(r, DeviceErrors.of(e));
            return;
        }
        reply.ok(r);
    }

    private void read(Request r) throws IOException, InterruptedException {
        if (r.length() == 0) { reply.ok(r); return; }
        if (!reply.chunked()) { simpleRead(r); return; }
        if (r.has(CommandFlag.DF)) { dfRead(r); return; }
        new StructuredRead(r).send();
    }

    private void simpleRead(Request r) throws IOException, InterruptedException {
        if (r.length() > readChunk) { streamedSimpleRead(r); return; }
        ByteBuffer buf = budget.take((int) r.length());
        try {
            try {
                device.read(r.offset(), buf);
            } catch (IOException | RuntimeException e) {
                reply.error(r, DeviceErrors.of(e));
                return;
            }
            reply.simpleData(r, buf.flip());
        } finally {
            budget.release(buf);
        }
    }

    /**
     * Large simple reads go out in pieces through one buffer, however large the read: the first piece is read
     * before the header goes out (so an early failure is still a clean error reply), then the buffer is reused.
     * One buffer also means never waiting for a second while holding the first.
     */
    private void streamedSimpleRead(Request r) throws IOException, InterruptedException {
        ByteBuffer buf = budget.take(readChunk);
        try {
            try {
                device.read(r.offset(), buf);
            } catch (IOException | RuntimeException e) {
                reply.error(r, DeviceErrors.of(e));
                return;
            }
            reply.simpleStreamed(r, buf.flip(), device::read, buf);
        } finally {
            budget.release(buf);
        }
    }

    // S50: DF asks for one content chunk; when that is more than the maximum payload, or than this connection
    // may buffer, it cannot be: EOVERFLOW, and no content chunk.
    private void dfRead(Request r) throws IOException, InterruptedException {
        long limit = Math.min(Integer.toUnsignedLong(session.sizes().maximumPayload()), budget.capacity());
        if (r.length() > limit) {
            reply.error(r, new RequestError(ErrorCode.EOVERFLOW, "DF read of " + r.length()
                    + " bytes is larger than one chunk may be (" + limit + ")"));
            return;
        }
        ByteBuffer buf = budget.take((int) r.length());
        try {
            try {
                device.read(r.offset(), buf);
            } catch (IOException | RuntimeException e) {
                reply.error(r, DeviceErrors.of(e));
                return;
            }
            reply.chunk(r, true, new ReplyChunk.OffsetData(r.offset(), buf.flip()));
        } finally {
            budget.release(buf);
        }
    }

    /**
     * A sparse structured read (S48, S49): zero extents go out as OFFSET_HOLE, data as OFFSET_DATA chunks of at
     * most {@link #READ_CHUNK} bytes (less when the maximum payload is smaller, S45). Each chunk is read
     * completely before it is sent, so an error is known before its chunk would go out; it then becomes the
     * final ERROR_OFFSET chunk and nothing overlaps it. Chunks wait in a small window so the last one can carry
     * DONE; the shuffle profile widens the window and sends it in scrambled order, which the spec allows.
     */
    private final class StructuredRead {
        private final Request r;
        private final long end;
        private final List<Pending> window = new ArrayList<>();
        private final int windowSize = behavior.shuffle() ? 16 : 1;
        private final Random scramble;
        private int pushed;

        StructuredRead(Request r) {
            this.r = r;
            this.end = r.offset() + r.length();
            this.scramble = new Random(r.cookie());
        }

        void send() throws IOException, InterruptedException {
            try {
                sendExtents();
            } finally {
                releaseWindow(); // a failed send (the client gone, the watchdog's reset) leaves buffers behind
            }
        }

        private void sendExtents() throws IOException, InterruptedException {
            long pos = r.offset();
            while (pos < end) {
                List<Extent> extents;
                try {
                    extents = device.extents(pos, end - pos, 1024);
                } catch (IOException | RuntimeException e) {
                    extents = List.of(Extent.data(end - pos)); // allocation unknown: read it all as data
                }
                for (Extent x : extents) {
                    long len = Math.min(x.length(), end - pos);
                    if (!emitExtent(pos, len, x.zero())) return;
                    pos += len;
                    if (pos >= end) break;
                }
            }
            flushWindow(true);
        }

        /** False when an error ended the reply. */
        private boolean emitExtent(long pos, long len, boolean zero) throws IOException, InterruptedException {
            if (zero) {
                for (long at = pos; at < pos + len; at += MAX_HOLE_CHUNK) {
                    if (injectedFailure(at)) return false;
                    push(new ReplyChunk.OffsetHole(at, (int) Math.min(MAX_HOLE_CHUNK, pos + len - at)), null);
                }
                return true;
            }
            for (long at = pos; at < pos + len; at += readChunk) {
                if (injectedFailure(at)) return false;
                int n = (int) Math.min(readChunk, pos + len - at);
                ByteBuffer buf = takeWithoutHolding(n);
                try {
                    device.read(at, buf);
                } catch (IOException | RuntimeException e) {
                    budget.release(buf);
                    fail(at, DeviceErrors.of(e));
                    return false;
                }
                push(new ReplyChunk.OffsetData(at, buf.flip()), buf);
            }
            return true;
        }

        /**
         * A buffer for the next chunk. Waiting for one while the window holds others could wait for ever (every
         * worker of a small budget doing the same), so when there is no room at once the window goes out first,
         * without DONE; a NONE chunk then ends the reply if nothing else does.
         */
        private ByteBuffer takeWithoutHolding(int n) throws IOException, InterruptedException {
            if (window.isEmpty()) return budget.take(n);
            ByteBuffer buf = budget.tryTake(n);
            if (buf != null) return buf;
            flushWindow(false);
            return budget.take(n);
        }

        /** The read-error fault: the second chunk of a read becomes an error instead. */
        private boolean injectedFailure(long at) throws IOException {
            if (!behavior.fault().is(ServerBehavior.Fault.Kind.READ_ERROR_CHUNK) || pushed == 0) return false;
            fail(at, new RequestError(ErrorCode.EIO, "injected fault: read error in the middle of a read"));
            return true;
        }

        private void fail(long at, RequestError err) throws IOException {
            flushWindow(false);
            reply.chunk(r, true, new ReplyChunk.ErrorOffset(err.code().value, err.message(), at));
        }

        /** Adds the chunk to the window (which now owns its buffer), sending the window first when it is full. */
        private void push(ReplyChunk chunk, ByteBuffer buffer) throws IOException {
            try {
                if (window.size() == windowSize) flushWindow(false);
            } catch (IOException | RuntimeException e) {
                if (buffer != null) budget.release(buffer);
                throw e;
            }
            window.add(new Pending(chunk, buffer));
            pushed++;
        }

        /** Sends the waiting chunks; with {@code done}, the last of them carries DONE (or a NONE chunk does). */
        private void flushWindow(boolean done) throws IOException {
            if (window.isEmpty()) {
                if (done) reply.chunk(r, true, new ReplyChunk.None());
                return;
            }
            if (behavior.shuffle()) Collections.shuffle(window, scramble);
            try {
                for (int i = 0; i < window.size(); i++) {
                    reply.chunk(r, done && i == window.size() - 1, window.get(i).chunk());
                }
            } finally {
                releaseWindow();
            }
        }

        private void releaseWindow() {
            for (Pending p : window) if (p.buffer() != null) budget.release(p.buffer());
            window.clear();
        }
    }

    /** A chunk waiting to be sent, with the budgeted buffer it holds (null for holes). */
    private record Pending(ReplyChunk chunk, ByteBuffer buffer) {}

    /**
     * S63: one status chunk per context (all computed before any is sent, so an error is still a clean reply).
     * The descriptor lists are not buffers, but a client asking for many extents on many connections could fill
     * the heap with them, so their worst case is counted against the budget while they exist.
     */
    private void blockStatus(Request r, List<MetaContextSelection.Selected> contexts)
            throws IOException, InterruptedException {
        boolean one = r.has(CommandFlag.REQ_ONE);
        int held = (int) Math.min(budget.capacity(), (long) contexts.size() * status.heapPerContext(one));
        budget.reserve(held);
        try {
            List<List<ReplyChunk.Descriptor>> answers = new ArrayList<>();
            try {
                for (MetaContextSelection.Selected ctx : contexts) {
                    answers.add(status.descriptors(ctx.name(), r.offset(), r.length(), one));
                }
            } catch (IOException | RuntimeException e) {
                reply.error(r, DeviceErrors.of(e));
                return;
            }
            for (int i = 0; i < contexts.size(); i++) {
                reply.status(r, i == contexts.size() - 1, contexts.get(i).id(), answers.get(i));
            }
        } finally {
            budget.unreserve(held);
        }
    }
}
