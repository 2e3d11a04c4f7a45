package dev.nbdref.wire;

import dev.nbdref.spec.Magic;
import dev.nbdref.spec.ReplyType;

import java.nio.ByteBuffer;

/**
 * Encodes transmission replies. A reply is returned as buffers to write in order, so read data goes
 * to the socket without being copied into a reply buffer.
 */
public final class ReplyEncoder {
    private ReplyEncoder() {}

    public static final int SIMPLE_HEADER_SIZE = 16;
    public static final int STRUCTURED_HEADER_SIZE = 20;

    /** A simple reply header: magic, error, cookie. READ data, if any, follows it. */
    public static ByteBuffer simple(long cookie, int error) {
        return ByteBuffer.allocate(SIMPLE_HEADER_SIZE).putInt(Magic.SIMPLE_REPLY).putInt(error).putLong(cookie).flip();
    }

    /** A structured chunk: its 20-byte header and fixed fields, then any data buffer. */
    public static ByteBuffer[] structured(long cookie, boolean done, ReplyChunk chunk) {
        long length = chunk.payloadLength();
        ByteBuffer head = ByteBuffer.allocate(STRUCTURED_HEADER_SIZE + fixedPartSize(chunk));
        head.putInt(Magic.STRUCTURED_REPLY).putShort((short) (done ? ReplyType.FLAG_DONE : 0))
                .putShort((short) chunk.type().value).putLong(cookie).putInt((int) length);
        putFixedPart(head, chunk);
        head.flip();
        if (chunk instanceof ReplyChunk.OffsetData d) return new ByteBuffer[] {head, d.data().duplicate()};
        return new ByteBuffer[] {head};
    }

    public static final int EXTENDED_HEADER_SIZE = 32;

    /**
     * An extended chunk (once extended headers are negotiated): 32-byte header echoing the request's offset, then
     * the same payload a structured chunk carries.
     */
    public static ByteBuffer[] extended(long cookie, long requestOffset, boolean done, ReplyChunk chunk) {
        ByteBuffer head = ByteBuffer.allocate(EXTENDED_HEADER_SIZE + fixedPartSize(chunk));
        head.putInt(Magic.EXTENDED_REPLY).putShort((short) (done ? ReplyType.FLAG_DONE : 0))
                .putShort((short) chunk.type().value).putLong(cookie).putLong(requestOffset)
                .putLong(chunk.payloadLength());
        putFixedPart(head, chunk);
        head.flip();
        if (chunk instanceof ReplyChunk.OffsetData d) return new ByteBuffer[] {head, d.data().duplicate()};
        return new ByteBuffer[] {head};
    }

    /** Size of the part of the payload that is built here (everything except OFFSET_DATA's data). */
    private static int fixedPartSize(ReplyChunk chunk) {
        return chunk instanceof ReplyChunk.OffsetData ? 8 : (int) chunk.payloadLength();
    }

    private static void putFixedPart(ByteBuffer b, ReplyChunk chunk) {
        // Java 17 has no pattern switch; the chain is in the order of ReplyChunk's declarations.
        if (chunk instanceof ReplyChunk.OffsetData d) {
            b.putLong(d.offset());
        } else if (chunk instanceof ReplyChunk.OffsetHole h) {
            b.putLong(h.offset()).putInt(h.length());
        } else if (chunk instanceof ReplyChunk.BlockStatus s) {
            b.putInt(s.contextId());
            for (ReplyChunk.Descriptor d : s.descriptors()) b.putInt((int) d.length()).putInt(d.flags());
        } else if (chunk instanceof ReplyChunk.BlockStatusExt s) {
            b.putInt(s.contextId()).putInt(s.descriptors().size());
            for (ReplyChunk.Descriptor d : s.descriptors()) b.putLong(d.length()).putLong(Integer.toUnsignedLong(d.flags()));
        } else if (chunk instanceof ReplyChunk.Error e) {
            byte[] m = ReplyChunk.Messages.bytes(e.message());
            b.putInt(e.error()).putShort((short) m.length).put(m);
        } else if (chunk instanceof ReplyChunk.ErrorOffset e) {
            byte[] m = ReplyChunk.Messages.bytes(e.message());
            b.putInt(e.error()).putShort((short) m.length).put(m).putLong(e.offset());
        }
    }
}
