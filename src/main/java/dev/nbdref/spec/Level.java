package dev.nbdref.spec;

/** RFC 2119 strength of a requirement; a rule mixing clauses carries its strongest one. */
public enum Level {
    MUST,
    SHOULD,
    MAY;

    public static Level fromJson(String value) {
        return valueOf(value);
    }
}
