package dev.nbdref.wire;

import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.Magic;

import java.nio.ByteBuffer;

/**
 * A transmission request header. Compact headers (28 bytes) carry a 32-bit length, extended
 * headers (32 bytes) a 64-bit one; both decode to this record.
 *
 * @param flags  the 16-bit command flags
 * @param type   the 16-bit command type (may be unknown)
 * @param cookie the client's opaque handle, echoed in every reply
 */
public record Request(int flags, int type, long cookie, long offset, long length) {
    public static final int COMPACT_SIZE = 28;
    public static final int EXTENDED_SIZE = 32;

    /** Decodes a compact header; the magic must already be known to be {@link Magic#REQUEST}. */
    public static Request decodeCompact(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, COMPACT_SIZE);
        b.getInt(); // magic, checked by the caller, which knows which header size is negotiated
        return new Request(Short.toUnsignedInt(b.getShort()), Short.toUnsignedInt(b.getShort()), b.getLong(),
                b.getLong(), Integer.toUnsignedLong(b.getInt()));
    }

    /** Decodes an extended header; the magic must already be known to be {@link Magic#EXTENDED_REQUEST}. */
    public static Request decodeExtended(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, EXTENDED_SIZE);
        b.getInt();
        return new Request(Short.toUnsignedInt(b.getShort()), Short.toUnsignedInt(b.getShort()), b.getLong(),
                b.getLong(), b.getLong());
    }

    public byte[] encodeCompact() {
        return ByteBuffer.allocate(COMPACT_SIZE).putInt(Magic.REQUEST).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putLong(offset).putInt((int) length).array();
    }

    public byte[] encodeExtended() {
        return ByteBuffer.allocate(EXTENDED_SIZE).putInt(Magic.EXTENDED_REQUEST).putShort((short) flags)
                .putShort((short) type).putLong(cookie).putLong(offset).putLong(length).array();
    }

    public CommandType command() { return CommandType.of(type); }

    public boolean has(CommandFlag flag) { return flag.isSetIn(flags); }

    /** offset + length, or Long.MAX_VALUE when that overflows (an unsigned 64-bit offset can). */
    public long end() {
        long end = offset + length;
        return (offset < 0 || end < offset) ? Long.MAX_VALUE : end;
    }

    @Override
    public String toString() {
        return CommandType.nameOf(type) + "(flags=0x" + Integer.toHexString(flags) + ", cookie=0x"
                + Long.toHexString(cookie) + ", offset=" + Long.toUnsignedString(offset) + ", length="
                + Long.toUnsignedString(length) + ")";
    }
}
