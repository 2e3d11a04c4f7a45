package dev.nbdref.spec;

/** NBD_REP_* values; every type with bit 31 set is an error. */
public enum OptionReplyType {
    ACK(1),
    SERVER(2),
    INFO(3),
    META_CONTEXT(4),
    ERR_UNSUP(0x80000001),
    ERR_POLICY(0x80000002),
    ERR_INVALID(0x80000003),
    ERR_PLATFORM(0x80000004),
    ERR_TLS_REQD(0x80000005),
    ERR_UNKNOWN(0x80000006),
    ERR_SHUTDOWN(0x80000007),
    ERR_BLOCK_SIZE_REQD(0x80000008),
    ERR_TOO_BIG(0x80000009),
    ERR_EXT_HEADER_REQD(0x8000000A);

    public final int value;

    OptionReplyType(int value) { this.value = value; }

    public boolean isError() { return value < 0; }

    public static OptionReplyType of(int value) {
        for (OptionReplyType t : values()) if (t.value == value) return t;
        return null;
    }
}
