package dev.nbdref.spec;

/** NBD_INFO_* values requested in INFO/GO and carried in NBD_REP_INFO. */
public enum InfoType {
    EXPORT(0),
    NAME(1),
    DESCRIPTION(2),
    BLOCK_SIZE(3);

    public final int value;

    InfoType(int value) { this.value = value; }

    public static InfoType of(int value) {
        for (InfoType t : values()) if (t.value == value) return t;
        return null;
    }
}
