package dev.nbdref.block;

import java.io.IOException;

/** A zero request with fastOnly set could not be served faster than a write; the data is untouched. */
public final class FastZeroUnsupportedException extends IOException {
    public FastZeroUnsupportedException(String message) { super(message); }
}
