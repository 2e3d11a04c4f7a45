package dev.nbdref.bitmap;

import java.io.IOException;

/**
 * A write reached an export whose bitmaps were already saved for shutdown. The write is refused rather than
 * done unrecorded: a persistent bitmap must never miss a write.
 */
public final class BitmapsClosedException extends IOException {
    private static final long serialVersionUID = 1L;

    public BitmapsClosedException(String message) {
        super(message);
    }
}
