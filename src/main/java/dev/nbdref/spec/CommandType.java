package dev.nbdref.spec;

/** NBD_CMD_* request types. */
public enum CommandType {
    READ(0),
    WRITE(1),
    DISC(2),
    FLUSH(3),
    TRIM(4),
    CACHE(5),
    WRITE_ZEROES(6),
    BLOCK_STATUS(7),
    RESIZE(8);

    public final int value;

    CommandType(int value) { this.value = value; }

    public static CommandType of(int value) {
        for (CommandType t : values()) if (t.value == value) return t;
        return null;
    }

    public static String nameOf(int value) {
        CommandType t = of(value);
        return t != null ? "NBD_CMD_" + t.name() : "command " + value;
    }
}
