package dev.nbdref.block;

import java.io.IOException;

/** The device ran out of space (ENOSPC, EDQUOT, EFBIG underneath). */
public final class NoSpaceException extends IOException {
    public NoSpaceException(String message, Throwable cause) { super(message, cause); }
}
