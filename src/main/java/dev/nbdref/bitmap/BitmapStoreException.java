package dev.nbdref.bitmap;

import java.io.IOException;

/** A bitmap store file that cannot be used: see the subclasses for the reasons. */
public class BitmapStoreException extends IOException {
    private static final long serialVersionUID = 1L;

    public BitmapStoreException(String message) {
        super(message);
    }

    public BitmapStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
