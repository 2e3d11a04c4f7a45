package dev.nbdref.wire;

import dev.nbdref.spec.Limits;

import java.nio.ByteBuffer;

/** The answer to NBD_OPT_EXPORT_NAME: size, transmission flags, and 124 zeroes unless NO_ZEROES. */
public record ExportNameReply(long size, int transmissionFlags, boolean noZeroes) {
    public byte[] encode() {
        int padding = noZeroes ? 0 : Limits.EXPORT_NAME_PADDING;
        return ByteBuffer.allocate(10 + padding).putLong(size).putShort((short) transmissionFlags).array();
    }
}
