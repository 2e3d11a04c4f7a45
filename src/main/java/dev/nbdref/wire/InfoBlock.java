package dev.nbdref.wire;

import dev.nbdref.spec.InfoType;

import java.nio.ByteBuffer;

/** The payload of NBD_REP_INFO: a 16-bit info type and its body. */
public sealed interface InfoBlock {

    byte[] encode();

    /** NBD_INFO_EXPORT: size and transmission flags; always 12 bytes. */
    record Export(long size, int transmissionFlags) implements InfoBlock {
        public byte[] encode() {
            return ByteBuffer.allocate(12).putShort((short) InfoType.EXPORT.value)
                    .putLong(size).putShort((short) transmissionFlags).array();
        }
    }

    /** NBD_INFO_NAME: the canonical export name. */
    record Name(String name) implements InfoBlock {
        public byte[] encode() { return withType(InfoType.NAME, WireStrings.encode(name)); }
    }

    /** NBD_INFO_DESCRIPTION: human-readable text. */
    record Description(String text) implements InfoBlock {
        public byte[] encode() { return withType(InfoType.DESCRIPTION, WireStrings.encode(text)); }
    }

    /** NBD_INFO_BLOCK_SIZE: minimum, preferred, maximum payload; always 14 bytes. */
    record BlockSize(int minimum, int preferred, int maximumPayload) implements InfoBlock {
        public byte[] encode() {
            return ByteBuffer.allocate(14).putShort((short) InfoType.BLOCK_SIZE.value)
                    .putInt(minimum).putInt(preferred).putInt(maximumPayload).array();
        }
    }

    private static byte[] withType(InfoType type, byte[] body) {
        return ByteBuffer.allocate(2 + body.length).putShort((short) type.value).put(body).array();
    }
}
