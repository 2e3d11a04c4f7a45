package dev.nbdref.spec;

/** NBD error values carried in simple replies and error chunks. */
public enum ErrorCode {
    EPERM(1),
    EIO(5),
    ENOMEM(12),
    EINVAL(22),
    ENOSPC(28),
    EOVERFLOW(75),
    ENOTSUP(95),
    ESHUTDOWN(108);

    public final int value;

    ErrorCode(int value) { this.value = value; }

    public static ErrorCode of(int value) {
        for (ErrorCode e : values()) if (e.value == value) return e;
        return null;
    }
}
