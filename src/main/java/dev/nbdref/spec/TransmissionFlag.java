package dev.nbdref.spec;

/** Per-export transmission flags (16 bits) sent at the end of negotiation. */
public enum TransmissionFlag {
    HAS_FLAGS(0x0001),
    READ_ONLY(0x0002),
    SEND_FLUSH(0x0004),
    SEND_FUA(0x0008),
    ROTATIONAL(0x0010),
    SEND_TRIM(0x0020),
    SEND_WRITE_ZEROES(0x0040),
    SEND_DF(0x0080),
    CAN_MULTI_CONN(0x0100),
    SEND_RESIZE(0x0200),
    SEND_CACHE(0x0400),
    SEND_FAST_ZERO(0x0800),
    BLOCK_STATUS_PAYLOAD(0x1000);

    public final int bit;

    TransmissionFlag(int bit) { this.bit = bit; }

    public boolean isSetIn(int flags) { return (flags & bit) != 0; }
}
