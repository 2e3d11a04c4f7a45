package dev.nbdref.server;

import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.wire.Request;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checks the spec puts on a reply chunk whatever the size of its header, shared by the structured-reply
 * client ({@link TransmissionClient}, 20-byte headers) and the extended-headers client ({@link ExtendedClient},
 * 32-byte headers): cookie echoed (S39), DONE on exactly the last chunk (S42), no unknown flags (S44), error
 * chunk layout (S46, S87), NONE and content chunk lengths (S86, S87) and READ chunk placement (S48).
 */
final class ReplyChecks {
    private ReplyChecks() {}

    /** The fields of a reply chunk the shared checks read, whatever the size of its header. */
    interface ReplyChunk {
        int flags();
        int type();
        long cookie();
        byte[] payload();

        default boolean done() { return (flags() & ReplyType.FLAG_DONE) != 0; }

        default ByteBuffer body() { return ByteBuffer.wrap(payload()); }
    }

    /** Where a content chunk lies: its offset and the number of bytes it stands for. */
    record Span(long offset, long length) {}

    /** Takes a checked content chunk; {@code body} is at the data of an OFFSET_DATA chunk. */
    @FunctionalInterface
    interface ContentSink<C> {
        void accept(C chunk, Span span, ByteBuffer body);
    }

    /** Takes a chunk that is neither an error, NONE nor content: a status chunk, or a type the client refuses. */
    @FunctionalInterface
    interface OtherSink<C> {
        void accept(C chunk, ByteBuffer body, int length, String where);
    }

    /**
     * Checks every chunk of one reply to {@code r}: header fields, error chunk layout, NONE, and content chunk
     * placement ({@code covered}, start to end, gains each content chunk); content chunks then go to
     * {@code content}, all other non-error chunks to {@code other}. Returns the error value of the first error
     * chunk, or 0. {@code name} describes a chunk in failure messages.
     */
    static <C extends ReplyChunk> int checkChunks(Request r, List<C> chunks, Function<C, String> name,
                                                  TreeMap<Long, Long> covered, ContentSink<C> content,
                                                  OtherSink<C> other) {
        int error = 0;
        for (int i = 0; i < chunks.size(); i++) {
            C c = chunks.get(i);
            String where = "chunk " + i + " " + name.apply(c) + " of " + r;
            assertChunkHeader(r, c, i == chunks.size() - 1, where);
            ByteBuffer b = c.body();
            int len = c.payload().length;
            if ((c.type() & 0x8000) != 0) {
                int e = assertErrorChunk(r, c.type(), b, len, where);
                if (error == 0) error = e;
            } else if (c.type() == ReplyType.NONE.value) {
                assertNoneChunk(c.done(), len, where);
            } else if (c.type() == ReplyType.OFFSET_DATA.value || c.type() == ReplyType.OFFSET_HOLE.value) {
                content.accept(c, assertContentChunk(r, c.type(), b, len, covered, where), b);
            } else {
                other.accept(c, b, len, where);
            }
        }
        return error;
    }

    /** The header fields every chunk shares; {@code last} says whether it is the final chunk of its reply. */
    private static void assertChunkHeader(Request r, ReplyChunk c, boolean last, String where) {
        assertEquals(r.cookie(), c.cookie(), "S39: cookie echoed: " + where);
        assertEquals(last, c.done(), "S42: DONE on exactly the last chunk: " + where);
        assertEquals(0, c.flags() & ~ReplyType.FLAG_DONE, "S44: unknown reply flags: " + where);
    }

    /** An error chunk (type bit 15 set) answering {@code r}: checks its layout and returns its error value. */
    private static int assertErrorChunk(Request r, int type, ByteBuffer body, int length, String where) {
        assertTrue(type == ReplyType.ERROR.value || type == ReplyType.ERROR_OFFSET.value,
                "unknown error chunk type: " + where);
        int fixed = type == ReplyType.ERROR.value ? 6 : 14;
        assertTrue(length >= fixed, "S87: error chunk too short: " + where);
        int error = body.getInt();
        int msglen = Short.toUnsignedInt(body.getShort());
        assertNotEquals(0, error, "S46: error chunk with error 0: " + where);
        assertTrue(msglen <= length - fixed && msglen <= 4096, "S46: msglen " + msglen + " in " + where);
        if (type == ReplyType.ERROR_OFFSET.value) {
            body.position(6 + msglen);
            long off = body.getLong();
            // unsigned: request offsets are u64, and the ones near 2^64 are exactly those tests probe
            assertTrue(Long.compareUnsigned(off, r.offset()) >= 0
                    && Long.compareUnsigned(off - r.offset(), r.length()) < 0, "S46: offset outside: " + where);
        }
        return error;
    }

    /** A NONE chunk carries nothing and ends its reply. */
    private static void assertNoneChunk(boolean done, int length, String where) {
        assertEquals(0, length, "S87: NONE with a payload: " + where);
        assertTrue(done, "NONE without DONE: " + where);
    }

    /**
     * An OFFSET_DATA or OFFSET_HOLE chunk answering READ {@code r}: checks its length, that it lies inside the
     * request and that it overlaps no earlier chunk ({@code covered}, start to end, gains this one). Leaves
     * {@code body} at the data of an OFFSET_DATA chunk.
     */
    private static Span assertContentChunk(Request r, int type, ByteBuffer body, int length,
                                           TreeMap<Long, Long> covered, String where) {
        assertEquals(CommandType.READ, r.command(), "S86: content chunk for a non-READ: " + where);
        long off = body.getLong();
        long n;
        if (type == ReplyType.OFFSET_DATA.value) {
            assertTrue(length >= 9, "S87: OFFSET_DATA shorter than 9: " + where);
            n = length - 8;
        } else {
            assertEquals(12, length, "S87: OFFSET_HOLE length: " + where);
            n = Integer.toUnsignedLong(body.getInt());
            assertTrue(n > 0, "S48: empty hole: " + where);
        }
        assertTrue(off >= r.offset() && off + n <= r.offset() + r.length(),
                "S48: chunk [" + off + "," + (off + n) + ") outside the request: " + where);
        Map.Entry<Long, Long> before = covered.floorEntry(off);
        Map.Entry<Long, Long> after = covered.ceilingEntry(off);
        assertTrue((before == null || before.getValue() <= off) && (after == null || after.getKey() >= off + n),
                "S48: chunk [" + off + "," + (off + n) + ") overlaps an earlier one: " + where);
        covered.put(off, off + n);
        return new Span(off, n);
    }

    /** A successful READ reply: its content chunks ({@code covered}) tile the whole request without a gap. */
    static void assertReadCovered(Request r, TreeMap<Long, Long> covered) {
        long pos = r.offset();
        for (Map.Entry<Long, Long> e : covered.entrySet()) {
            assertEquals(pos, (long) e.getKey(), "S48: gap in the READ reply at " + pos + " for " + r);
            pos = e.getValue();
        }
        assertEquals(r.offset() + r.length(), pos, "S48: READ reply does not cover the range: " + r);
    }
}
