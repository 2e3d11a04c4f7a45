package dev.nbdref.block;

import java.nio.ByteBuffer;

/** Supplies zero bytes without allocating per call: reads of holes and slow zeroing both need them. */
final class Zeroes {
    static final int CHUNK = 1 << 20;

    /** Read-only, so sharing it between threads and devices cannot leak data; callers use duplicates. */
    private static final ByteBuffer ZERO_CHUNK = ByteBuffer.allocateDirect(CHUNK).asReadOnlyBuffer();

    private Zeroes() {}

    /** Puts {@code count} zero bytes into {@code dst} at its position. */
    static void put(ByteBuffer dst, long count) {
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(left, CHUNK);
            dst.put(chunk(n));
            left -= n;
        }
    }

    /** A fresh view of {@code length} zero bytes (at most {@link #CHUNK}), positioned at 0. */
    static ByteBuffer chunk(int length) {
        return ZERO_CHUNK.duplicate().limit(length);
    }
}
