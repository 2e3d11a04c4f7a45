package dev.nbdref.spec;

/** NBD_CMD_FLAG_* request flags (16 bits). */
public enum CommandFlag {
    FUA(0x01),
    NO_HOLE(0x02),
    DF(0x04),
    REQ_ONE(0x08),
    FAST_ZERO(0x10),
    PAYLOAD_LEN(0x20);

    public final int bit;

    CommandFlag(int bit) { this.bit = bit; }

    public boolean isSetIn(int flags) { return (flags & bit) != 0; }

    public static int knownMask() {
        int mask = 0;
        for (CommandFlag f : values()) mask |= f.bit;
        return mask;
    }
}
