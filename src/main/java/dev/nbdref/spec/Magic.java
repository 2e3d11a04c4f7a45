package dev.nbdref.spec;

/** Magic numbers of the NBD wire format (spec/constants.json, "magic"). */
public final class Magic {
    private Magic() {}

    /** "NBDMAGIC": the first eight bytes the server sends. */
    public static final long NBDMAGIC = 0x4e42444d41474943L;
    /** "IHAVEOPT": newstyle greeting word, and the prefix of every client option. */
    public static final long IHAVEOPT = 0x49484156454F5054L;
    /** Oldstyle greeting word; nbdref never speaks oldstyle but recognises it. */
    public static final long CLISERV_MAGIC = 0x00420281861253L;
    /** Prefix of every option reply. */
    public static final long OPTION_REPLY = 0x0003e889045565a9L;
    /** Compact (28-byte) transmission request. */
    public static final int REQUEST = 0x25609513;
    /** Extended (32-byte) transmission request, once extended headers are negotiated. */
    public static final int EXTENDED_REQUEST = 0x21e41c71;
    /** 16-byte simple reply. */
    public static final int SIMPLE_REPLY = 0x67446698;
    /** 20-byte structured reply chunk header. */
    public static final int STRUCTURED_REPLY = 0x668e33ef;
    /** 32-byte extended reply chunk header. */
    public static final int EXTENDED_REPLY = 0x6e8a278c;
}
