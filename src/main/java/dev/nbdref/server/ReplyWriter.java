package dev.nbdref.server;

import dev.nbdref.wire.ReplyChunk;
import dev.nbdref.wire.Request;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Frames replies the way the connection negotiated: simple replies (S40), structured chunks, or extended
 * chunks (S71: never a simple reply, every header echoes the request offset). Commands say what to send;
 * only this class knows how it looks on the wire.
 */
final class ReplyWriter {

    /** The reply framing negotiated for the transmission phase. */
    enum Framing { SIMPLE, STRUCTURED, EXTENDED }

    private final ReplySender out;
    private final Framing framing;
    private final LongConsumer beforeLastMessage;

    /**
     * @param beforeLastMessage told a reply's cookie just before its last message goes out: from then on the
     *                          client may reuse the cookie
     */
    ReplyWriter(ReplySender out, Framing framing, LongConsumer beforeLastMessage) {
        this.out = out;
        this.framing = framing;
        this.beforeLastMessage = beforeLastMessage;
    }

    boolean chunked() { return framing != Framing.SIMPLE; }

    boolean extended() { return framing == Framing.EXTENDED; }

    /** Success without data. */
    void ok(Request r) throws IOException {
        if (chunked()) {
            chunk(r, true, new ReplyChunk.None());
        } else {
            beforeLastMessage.accept(r.cookie());
            out.sendSimple(r.cookie(), 0, null);
        }
    }

    /** S41, S47: an error chunk with a message once chunks are negotiated, else a simple reply without data. */
    void error(Request r, RequestError e) throws IOException {
        if (chunked()) {
            chunk(r, true, new ReplyChunk.Error(e.code().value, e.message()));
        } else {
            beforeLastMessage.accept(r.cookie());
            out.sendSimple(r.cookie(), e.code().value, null);
        }
    }

    /** A simple READ reply: header and data. */
    void simpleData(Request r, ByteBuffer data) throws IOException {
        if (chunked()) throw new IllegalStateException("simple data reply on a chunked connection");
        beforeLastMessage.accept(r.cookie());
        out.sendSimple(r.cookie(), 0, data);
    }

    /** A simple READ reply streamed piece by piece (see {@link ReplySender#sendSimpleStreamed}). */
    void simpleStreamed(Request r, ByteBuffer first, ReplySender.PieceReader reader, ByteBuffer scratch)
            throws IOException {
        if (chunked()) throw new IllegalStateException("simple data reply on a chunked connection");
        beforeLastMessage.accept(r.cookie());
        out.sendSimpleStreamed(r.cookie(), first, r.offset(), r.length(), reader, scratch);
    }

    void chunk(Request r, boolean done, ReplyChunk chunk) throws IOException {
        if (done) beforeLastMessage.accept(r.cookie());
        if (framing == Framing.EXTENDED) out.sendExtendedChunk(r.cookie(), r.offset(), done, chunk);
        else if (framing == Framing.STRUCTURED) out.sendChunk(r.cookie(), done, chunk);
        else throw new IllegalStateException("chunk on a connection without structured replies");
    }

    /** One status chunk for a context, in the type the framing requires (S63, S71). */
    void status(Request r, boolean done, int contextId, List<ReplyChunk.Descriptor> descriptors) throws IOException {
        chunk(r, done, extended() ? new ReplyChunk.BlockStatusExt(contextId, descriptors)
                : new ReplyChunk.BlockStatus(contextId, descriptors));
    }
}
