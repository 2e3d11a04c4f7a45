package dev.nbdref.wire;

import dev.nbdref.spec.Magic;

import java.nio.ByteBuffer;

/** The 16-byte header of a client option: IHAVEOPT, option number, payload length. */
public record OptionHeader(long magic, int option, long length) {
    public static final int SIZE = 16;

    public static OptionHeader decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, SIZE);
        return new OptionHeader(b.getLong(), b.getInt(), Integer.toUnsignedLong(b.getInt()));
    }

    public boolean hasValidMagic() { return magic == Magic.IHAVEOPT; }

    /** Client side: header followed by the payload. */
    public static byte[] encode(int option, byte[] payload) {
        return ByteBuffer.allocate(SIZE + payload.length)
                .putLong(Magic.IHAVEOPT).putInt(option).putInt(payload.length).put(payload).array();
    }
}
