package dev.nbdref.bitmap;

/**
 * A store file that is not a valid bitmap store (wrong magic, unknown version, bad checksum, truncated,
 * impossible values). Nothing of it is used: a guess could report a changed granule as clean.
 */
public final class CorruptBitmapStoreException extends BitmapStoreException {
    private static final long serialVersionUID = 1L;

    public CorruptBitmapStoreException(String message) {
        super(message);
    }
}
