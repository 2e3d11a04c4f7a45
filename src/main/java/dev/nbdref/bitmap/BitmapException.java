package dev.nbdref.bitmap;

import java.util.Locale;

/**
 * A bitmap operation that cannot be done as asked (no such bitmap, a name taken, mismatched bitmaps, bad
 * values, a closed store). Its {@link Kind} becomes the {@code code} of a management error response.
 */
public class BitmapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the operation was refused. */
    public enum Kind {
        /** No bitmap of that name on the export. */
        NO_SUCH_BITMAP,
        /** A bitmap of that name exists already. */
        EXISTS,
        /** The two bitmaps of a merge (or a stored and a requested bitmap) differ in granularity or size. */
        INCOMPATIBLE,
        /** A value breaks a rule (name, granularity, bitmap count, bitmap size). */
        INVALID,
        /** The bitmaps were saved for shutdown; nothing can change them any more. */
        CLOSED;

        /** The management protocol's spelling: lower case with dashes. */
        public String code() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final Kind kind;

    public BitmapException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
