package dev.nbdref.block;

import java.io.IOException;

/** A write, trim or zero reached a read-only device. */
public final class ReadOnlyDeviceException extends IOException {
    public ReadOnlyDeviceException(String message) { super(message); }
}
