package dev.nbdref.spec;

/** NBD_OPT_* values sent by the client during option haggling. */
public enum OptionType {
    EXPORT_NAME(1),
    ABORT(2),
    LIST(3),
    PEEK_EXPORT(4),
    STARTTLS(5),
    INFO(6),
    GO(7),
    STRUCTURED_REPLY(8),
    LIST_META_CONTEXT(9),
    SET_META_CONTEXT(10),
    EXTENDED_HEADERS(11);

    public final int value;

    OptionType(int value) { this.value = value; }

    /** The option with this number, or null when the spec defines none. */
    public static OptionType of(int value) {
        for (OptionType t : values()) if (t.value == value) return t;
        return null;
    }

    /** A readable name for any option number, known or not. */
    public static String nameOf(int value) {
        OptionType t = of(value);
        return t != null ? "NBD_OPT_" + t.name() : "option " + Integer.toUnsignedString(value);
    }
}
