package dev.nbdref.bochs;

/**
 * The classes of failure a Bochs image can produce. Callers branch on the kind, never on message text:
 * a tool can tell "this is not a Bochs file at all" from "this is a Bochs file we refuse" from "this Bochs
 * file is damaged".
 */
public enum BochsErrorKind {
    /** The signature strings do not name a Bochs redolog: probably some other kind of file. */
    NOT_BOCHS,
    /** A Bochs redolog of a subtype this reader cannot read on its own (or does not know). */
    UNSUPPORTED_SUBTYPE,
    /** A Bochs header whose version is neither 1 nor 2. */
    UNSUPPORTED_VERSION,
    /** The file ends before a structure the header promises (the header itself or the catalog). */
    TRUNCATED,
    /** A header field holds a value no valid image can have. */
    INVALID_HEADER,
    /** The header is sound but the structures it describes are not (extents beyond the file, aliasing). */
    CORRUPT,
    /** A read outside the virtual disk. */
    OUT_OF_RANGE
}
