package dev.nbdref.bitmap;

/**
 * The store is open in a running server ({@link #live()}), or its in-use flag says a server was killed while it
 * had the store open and the caller did not pass {@code --force}.
 */
public final class BitmapStoreInUseException extends BitmapStoreException {
    private static final long serialVersionUID = 1L;
    private final boolean live;

    public BitmapStoreInUseException(String message, boolean live) {
        super(message);
        this.live = live;
    }

    /** True when another process holds the store's lock now; false when only the in-use flag is left over. */
    public boolean live() {
        return live;
    }
}
