package dev.nbdref.bochs;

/**
 * A run of virtual bytes inside one extent whose sectors share one state: present in the image (their
 * data starts at {@code fileOffset} and continues contiguously) or absent (zeroes for a Growing image,
 * the base image's bytes for a redolog).
 */
record Span(long length, long fileOffset) {
    /** For present data whose file offset does not fit 63 bits (only lenient mode lets such entries in): reads past any file, as zeroes. */
    static final long NOWHERE = Long.MAX_VALUE / 2;
    private static final long ABSENT = -1;

    static Span absent(long length) {
        return new Span(length, ABSENT);
    }

    static Span present(long length, long fileOffset) {
        return new Span(length, fileOffset);
    }

    boolean isPresent() {
        return fileOffset != ABSENT;
    }
}
