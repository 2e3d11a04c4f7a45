package dev.nbdref.server;

import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.Extent;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.ErrorCode;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.wire.ReplyChunk;
import dev.nbdref.wire.Request;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a validated request against the device and sends its reply. Runs on worker threads; several
 * requests of one connection may run at once, and their replies go out in completion order.
 */
final class CommandExecutor {
    /** Largest data chunk of a structured read: bounds the memory one read holds at a time. */
    static final int READ_CHUNK = 4 << 20;
    /** Descriptors per block status chunk; the client asks again for the rest (S66). */
    static final int MAX_DESCRIPTORS = 64 * 1024;
    private static final long MAX_DESCRIPTOR_LENGTH = 0xFFFF_FFFFL;

    private final Session session;
    private final ReplySender out;
    private final BufferBudget budget;
    private final BlockDevice device;

    CommandExecutor(Session session, ReplySender out, BufferBudget budget) {
        this.session = session;
        this.out = out;
        this.budget = budget;
        this.device = session.export().device();
    }

    /** Executes {@code r}; {@code payload} is the WRITE data (released here), otherwise null. */
    void execute(Request r, ByteBuffer payload) throws IOException, InterruptedException {
        try {
            switch (r.command()) {
                case READ: read(r); return;
                case WRITE: run(r, () -> device.write(r.offset(), payload, r.has(CommandFlag.FUA))); return;
                case FLUSH: run(r, device::flush); return; // S52: every completed write is already in the device
                case TRIM: run(r, () -> device.trim(r.offset(), r.length(), r.has(CommandFlag.FUA))); return;
                case CACHE: run(r, () -> device.cache(r.offset(), r.length())); return;
                case WRITE_ZEROES: run(r, () -> device.writeZeroes(r.offset(), r.length(),
                        !r.has(CommandFlag.NO_HOLE), r.has(CommandFlag.FAST_ZERO), r.has(CommandFlag.FUA))); return;
                case BLOCK_STATUS: blockStatus(r); return;
                default: throw new IllegalStateException("not executable: " + r);
            }
        } finally {
            if (payload != null) budget.release(payload);
        }
    }

    interface DeviceCall { void run() throws IOException; }

    /** Commands whose success reply carries no data. */
    private void run(Request r, DeviceCall call) throws IOException {
        if (r.length() == 0 && r.command() != dev.nbdref.spec.CommandType.FLUSH) { // C30: nothing to do
            replyOk(r);
            return;
        }
        try {
            call.run();
        } catch (IOException | RuntimeException e) {
            replyError(r, DeviceErrors.of(e));
            return;
        }
        replyOk(r);
    }

    void replyOk(Request r) throws IOException {
        if (session.structuredReplies()) out.sendChunk(r.cookie(), true, new ReplyChunk.None());
        else out.sendSimple(r.cookie(), 0, null);
    }

    /** S41: with structured replies every error is an error chunk with a message; otherwise a simple reply. */
    void replyError(Request r, RequestError e) throws IOException {
        if (session.structuredReplies()) out.sendChunk(r.cookie(), true, new ReplyChunk.Error(e.code().value, e.message()));
        else out.sendSimple(r.cookie(), e.code().value, null); // S47: no payload after an error
    }

    private void read(Request r) throws IOException, InterruptedException {
        if (r.length() == 0) { replyOk(r); return; }
        if (!session.structuredReplies()) { simpleRead(r); return; }
        if (r.has(CommandFlag.DF)) { dfRead(r); return; }
        new StructuredRead(r).send();
    }

    private void simpleRead(Request r) throws IOException, InterruptedException {
        ByteBuffer buf = budget.take((int) r.length());
        try {
            try {
                device.read(r.offset(), buf);
            } catch (IOException | RuntimeException e) {
                replyError(r, DeviceErrors.of(e));
                return;
            }
            out.sendSimple(r.cookie(), 0, buf.flip());
        } finally {
            budget.release(buf);
        }
    }

    // S50: DF asks for one content chunk; beyond the maximum payload that cannot be, so EOVERFLOW, no data.
    private void dfRead(Request r) throws IOException, InterruptedException {
        if (r.length() > Integer.toUnsignedLong(session.sizes().maximumPayload())) {
            replyError(r, new RequestError(ErrorCode.EOVERFLOW, "DF read larger than the maximum payload"));
            return;
        }
        ByteBuffer buf = budget.take((int) r.length());
        try {
            try {
                device.read(r.offset(), buf);
            } catch (IOException | RuntimeException e) {
                replyError(r, DeviceErrors.of(e));
                return;
            }
            out.sendChunk(r.cookie(), true, new ReplyChunk.OffsetData(r.offset(), buf.flip()));
        } finally {
            budget.release(buf);
        }
    }

    /**
     * A sparse structured read (S48, S49): holes go out as OFFSET_HOLE, data as OFFSET_DATA chunks of at most
     * {@link #READ_CHUNK} bytes. Each chunk is read completely before it is sent, so an error is known before
     * its chunk would go out; it then becomes the final ERROR_OFFSET chunk and nothing overlaps it.
     */
    private final class StructuredRead {
        private final Request r;
        private final long end;
        private Pending pending; // held back one step, so the last chunk can carry DONE

        StructuredRead(Request r) {
            this.r = r;
            this.end = r.offset() + r.length();
        }

        void send() throws IOException, InterruptedException {
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
            flushPending(true);
        }

        /** False when an error ended the reply. */
        private boolean emitExtent(long pos, long len, boolean zero) throws IOException, InterruptedException {
            if (zero) {
                push(new ReplyChunk.OffsetHole(pos, (int) len), null); // len <= request length < 2^32, sent unsigned
                return true;
            }
            for (long at = pos; at < pos + len; at += READ_CHUNK) {
                int n = (int) Math.min(READ_CHUNK, pos + len - at);
                ByteBuffer buf = budget.take(n);
                try {
                    device.read(at, buf);
                } catch (IOException | RuntimeException e) {
                    budget.release(buf);
                    RequestError err = DeviceErrors.of(e);
                    flushPending(false);
                    out.sendChunk(r.cookie(), true, new ReplyChunk.ErrorOffset(err.code().value, err.message(), at));
                    return false;
                }
                push(new ReplyChunk.OffsetData(at, buf.flip()), buf);
            }
            return true;
        }

        /** Queues a chunk; the one queued before it goes out now, without DONE. */
        private void push(ReplyChunk chunk, ByteBuffer buffer) throws IOException {
            flushPending(false);
            pending = new Pending(chunk, buffer);
        }

        private void flushPending(boolean done) throws IOException {
            if (pending == null) {
                if (done) out.sendChunk(r.cookie(), true, new ReplyChunk.None());
                return;
            }
            Pending p = pending;
            pending = null;
            try {
                out.sendChunk(r.cookie(), done, p.chunk());
            } finally {
                if (p.buffer() != null) budget.release(p.buffer());
            }
        }
    }

    /** A chunk waiting to be sent, with the budgeted buffer it holds (null for holes). */
    private record Pending(ReplyChunk chunk, ByteBuffer buffer) {}

    /** S63-S67: one chunk per selected context, descriptors from the request offset, REQ_ONE honoured. */
    private void blockStatus(Request r) throws IOException {
        boolean one = r.has(CommandFlag.REQ_ONE);
        List<ReplyChunk.BlockStatus> chunks = new ArrayList<>();
        try {
            for (MetaContextSelection.Selected ctx : session.metaContexts()) {
                chunks.add(new ReplyChunk.BlockStatus(ctx.id(), descriptors(ctx.name(), r, one)));
            }
        } catch (IOException | RuntimeException e) {
            replyError(r, DeviceErrors.of(e));
            return;
        }
        for (int i = 0; i < chunks.size(); i++) out.sendChunk(r.cookie(), i == chunks.size() - 1, chunks.get(i));
    }

    private List<ReplyChunk.Descriptor> descriptors(String context, Request r, boolean one) throws IOException {
        if (!MetaContext.BASE_ALLOCATION.equals(context)) throw new IllegalStateException("unknown context " + context);
        int block = session.sizes().minimum();
        // With REQ_ONE a few extents are still fetched, so the one descriptor can be rounded to a whole block.
        List<Extent> extents = ExtentAligner.align(device.extents(r.offset(), r.length(), one ? 64 : MAX_DESCRIPTORS),
                block, r.offset(), device.size());
        List<ReplyChunk.Descriptor> out = new ArrayList<>(extents.size());
        long covered = 0;
        for (Extent x : extents) {
            long len = Math.min(x.length(), MAX_DESCRIPTOR_LENGTH & -block);
            if (one) len = Math.min(len, r.length()); // S65
            int flags = (x.hole() ? MetaContext.STATE_HOLE : 0) | (x.zero() ? MetaContext.STATE_ZERO : 0);
            out.add(new ReplyChunk.Descriptor(len, flags));
            covered += len;
            // S66: stop once the request is covered; only the last descriptor may pass its end.
            if (one || covered >= r.length() || len < x.length()) break;
        }
        return out;
    }
}
