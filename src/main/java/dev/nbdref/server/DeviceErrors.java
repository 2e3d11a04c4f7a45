package dev.nbdref.server;

import dev.nbdref.block.FastZeroUnsupportedException;
import dev.nbdref.block.NoSpaceException;
import dev.nbdref.block.ReadOnlyDeviceException;
import dev.nbdref.spec.ErrorCode;

/** The one place where a device failure becomes an NBD error value (S70). */
final class DeviceErrors {
    private DeviceErrors() {}

    static RequestError of(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof ReadOnlyDeviceException) return new RequestError(ErrorCode.EPERM, message);
        if (e instanceof NoSpaceException) return new RequestError(ErrorCode.ENOSPC, message);
        if (e instanceof FastZeroUnsupportedException) return new RequestError(ErrorCode.ENOTSUP, message); // S58
        if (e instanceof IllegalArgumentException) return new RequestError(ErrorCode.EINVAL, message);
        return new RequestError(ErrorCode.EIO, message);
    }
}
