package dev.nbdref.spec;

/** Server handshake flags (16 bits) and the client flags (32 bits) that echo them. */
public enum HandshakeFlag {
    FIXED_NEWSTYLE(0x1),
    NO_ZEROES(0x2);

    public final int bit;

    HandshakeFlag(int bit) { this.bit = bit; }

    public boolean isSetIn(int flags) { return (flags & bit) != 0; }

    /** The union of every flag the spec defines; a client flag outside it is unknown. */
    public static int knownMask() {
        int mask = 0;
        for (HandshakeFlag f : values()) mask |= f.bit;
        return mask;
    }
}
