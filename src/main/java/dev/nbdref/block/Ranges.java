package dev.nbdref.block;

/**
 * Argument checks shared by the devices. The server validates every request first, so a failure here is
 * a caller bug; it is still checked so such a bug can never touch bytes outside the device.
 */
final class Ranges {
    private Ranges() {}

    /** Rejects a range that is negative, overflows, or ends past {@code size}; an empty range is allowed. */
    static void check(long offset, long length, long size) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new IllegalArgumentException(
                    "range [" + offset + ", +" + length + ") outside device of " + size + " bytes");
        }
    }

    /** An extents query must cover at least one byte inside the device and allow at least one extent. */
    static void checkExtentsQuery(long offset, long length, int maxExtents, long size) {
        check(offset, length, size);
        if (length == 0) throw new IllegalArgumentException("extents query of zero length at " + offset);
        if (maxExtents < 1) throw new IllegalArgumentException("maxExtents must be at least 1: " + maxExtents);
    }
}
