package dev.nbdref.wire;

import dev.nbdref.spec.ReplyType;

import java.nio.ByteBuffer;
import java.util.List;

/** The payload of one structured reply chunk, by chunk type. */
public sealed interface ReplyChunk {

    ReplyType type();

    /** Bytes this chunk puts on the wire after its header. */
    long payloadLength();

    /** NBD_REPLY_TYPE_NONE: an empty final chunk. */
    record None() implements ReplyChunk {
        public ReplyType type() { return ReplyType.NONE; }
        public long payloadLength() { return 0; }
    }

    /** NBD_REPLY_TYPE_OFFSET_DATA: data read at {@code offset}; the buffer is sent from position to limit. */
    record OffsetData(long offset, ByteBuffer data) implements ReplyChunk {
        public ReplyType type() { return ReplyType.OFFSET_DATA; }
        public long payloadLength() { return 8L + data.remaining(); }
    }

    /** NBD_REPLY_TYPE_OFFSET_HOLE: {@code length} bytes of zeroes at {@code offset}, sent without data. */
    record OffsetHole(long offset, int length) implements ReplyChunk {
        public OffsetHole {
            if (length == 0) throw new IllegalArgumentException("a hole chunk must describe at least one byte");
        }
        public ReplyType type() { return ReplyType.OFFSET_HOLE; }
        public long payloadLength() { return 12; }
    }

    /** NBD_REPLY_TYPE_BLOCK_STATUS: one metadata context's extents. */
    record BlockStatus(int contextId, List<Descriptor> descriptors) implements ReplyChunk {
        public BlockStatus {
            descriptors = List.copyOf(descriptors);
            if (descriptors.isEmpty()) throw new IllegalArgumentException("a status chunk needs a descriptor");
        }
        public ReplyType type() { return ReplyType.BLOCK_STATUS; }
        public long payloadLength() { return 4L + 8L * descriptors.size(); }
    }

    /** NBD_REPLY_TYPE_BLOCK_STATUS_EXT: one context's extents with 64-bit lengths and status (extended headers). */
    record BlockStatusExt(int contextId, List<Descriptor> descriptors) implements ReplyChunk {
        public BlockStatusExt {
            descriptors = List.copyOf(descriptors);
            if (descriptors.isEmpty()) throw new IllegalArgumentException("a status chunk needs a descriptor");
        }
        public ReplyType type() { return ReplyType.BLOCK_STATUS_EXT; }
        public long payloadLength() { return 8L + 16L * descriptors.size(); }
    }

    /**
     * A block status descriptor: an extent length (never 0) and its context-defined flags. Compact chunks carry
     * both as 32 bits; extended chunks as 64 (every context nbdref serves has 32-bit flags).
     */
    record Descriptor(long length, int flags) {
        public Descriptor {
            if (length <= 0) throw new IllegalArgumentException("descriptor length must be positive");
        }
    }

    /** NBD_REPLY_TYPE_ERROR: an error for the whole request, with a message for people. */
    record Error(int error, String message) implements ReplyChunk {
        public ReplyType type() { return ReplyType.ERROR; }
        public long payloadLength() { return 6L + Messages.bytes(message).length; }
    }

    /** NBD_REPLY_TYPE_ERROR_OFFSET: an error at a given offset of a read. */
    record ErrorOffset(int error, String message, long offset) implements ReplyChunk {
        public ReplyType type() { return ReplyType.ERROR_OFFSET; }
        public long payloadLength() { return 14L + Messages.bytes(message).length; }
    }

    /** Error messages are capped at the spec's string limit (S46). */
    final class Messages {
        private Messages() {}

        static byte[] bytes(String message) {
            return WireStrings.encodeTruncated(message == null ? "" : message, 4096);
        }
    }
}
