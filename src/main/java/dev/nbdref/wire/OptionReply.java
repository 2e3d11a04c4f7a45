package dev.nbdref.wire;

import dev.nbdref.spec.Limits;
import dev.nbdref.spec.Magic;
import dev.nbdref.spec.OptionReplyType;

import java.nio.ByteBuffer;

/** One option reply: magic, echoed option, reply type, payload (20-byte header). */
public record OptionReply(int option, int type, byte[] payload) {
    public static final int HEADER_SIZE = 20;

    public static OptionReply ack(int option) { return new OptionReply(option, OptionReplyType.ACK.value, new byte[0]); }

    /** An error reply; the message is human-readable UTF-8 (kept within the string limit). */
    public static OptionReply error(int option, OptionReplyType type, String message) {
        return new OptionReply(option, type.value, WireStrings.encodeTruncated(message, Limits.MAX_STRING));
    }

    /** NBD_REP_SERVER: u32 name length, name, then an optional description. */
    public static OptionReply server(int option, String name, String details) {
        byte[] n = WireStrings.encode(name);
        byte[] d = details == null ? new byte[0] : WireStrings.encode(details);
        byte[] p = ByteBuffer.allocate(4 + n.length + d.length).putInt(n.length).put(n).put(d).array();
        return new OptionReply(option, OptionReplyType.SERVER.value, p);
    }

    /** NBD_REP_META_CONTEXT: u32 context id, context name. */
    public static OptionReply metaContext(int option, int contextId, String name) {
        byte[] n = WireStrings.encode(name);
        byte[] p = ByteBuffer.allocate(4 + n.length).putInt(contextId).put(n).array();
        return new OptionReply(option, OptionReplyType.META_CONTEXT.value, p);
    }

    /** NBD_REP_INFO carrying one information block. */
    public static OptionReply info(int option, InfoBlock block) {
        return new OptionReply(option, OptionReplyType.INFO.value, block.encode());
    }

    public byte[] encode() {
        return ByteBuffer.allocate(HEADER_SIZE + payload.length)
                .putLong(Magic.OPTION_REPLY).putInt(option).putInt(type).putInt(payload.length).put(payload)
                .array();
    }

    /** Client side: decodes the 20-byte header; the caller then reads {@code length} payload bytes. */
    public static Header decodeHeader(byte[] bytes) throws WireFormatException {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, HEADER_SIZE);
        if (b.getLong() != Magic.OPTION_REPLY) throw new WireFormatException("S06", "bad option reply magic");
        return new Header(b.getInt(), b.getInt(), Integer.toUnsignedLong(b.getInt()));
    }

    public record Header(int option, int type, long length) {}

    public OptionReplyType replyType() { return OptionReplyType.of(type); }
}
