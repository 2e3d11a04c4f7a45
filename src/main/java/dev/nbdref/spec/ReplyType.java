package dev.nbdref.spec;

/** NBD_REPLY_TYPE_* structured chunk types; bit 15 marks an error chunk. */
public enum ReplyType {
    NONE(0),
    OFFSET_DATA(1),
    OFFSET_HOLE(2),
    BLOCK_STATUS(5),
    BLOCK_STATUS_EXT(6),
    ERROR(0x8001),
    ERROR_OFFSET(0x8002);

    /** NBD_REPLY_FLAG_DONE: set on the last chunk of a reply, and only there. */
    public static final int FLAG_DONE = 0x1;

    public final int value;

    ReplyType(int value) { this.value = value; }

    public boolean isError() { return (value & 0x8000) != 0; }

    public static ReplyType of(int value) {
        for (ReplyType t : values()) if (t.value == value) return t;
        return null;
    }
}
