package dev.nbdref.block;

import java.io.IOException;
import java.util.List;

/**
 * Recognises out-of-space failures in exceptions from {@code FileChannel}, which carries no errno: only the
 * strerror text of ENOSPC, EDQUOT or EFBIG tells them apart from other I/O errors.
 */
final class IoErrors {
    private static final List<String> NO_SPACE_MESSAGES =
            List.of("No space left on device", "Disk quota exceeded", "File too large");

    private IoErrors() {}

    /** Returns a {@link NoSpaceException} for an out-of-space failure, otherwise {@code e} itself. */
    static IOException classify(IOException e) {
        if (e instanceof NoSpaceException) return e;
        String message = e.getMessage();
        if (message != null && NO_SPACE_MESSAGES.stream().anyMatch(message::contains)) {
            return new NoSpaceException(message, e);
        }
        return e;
    }
}
