package dev.nbdref.wire;

import dev.nbdref.spec.Magic;

import java.nio.ByteBuffer;

/** The fixed newstyle greeting: NBDMAGIC, IHAVEOPT, 16-bit handshake flags (18 bytes). */
public record Greeting(int handshakeFlags) {
    public static final int SIZE = 18;

    public byte[] encode() {
        return ByteBuffer.allocate(SIZE)
                .putLong(Magic.NBDMAGIC).putLong(Magic.IHAVEOPT).putShort((short) handshakeFlags)
                .array();
    }

    public static Greeting decode(byte[] bytes) throws WireFormatException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length != SIZE || b.getLong() != Magic.NBDMAGIC || b.getLong() != Magic.IHAVEOPT) {
            throw new WireFormatException("S01", "not a fixed newstyle greeting");
        }
        return new Greeting(Short.toUnsignedInt(b.getShort()));
    }
}
