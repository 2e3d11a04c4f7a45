package dev.nbdref.spec;

/** Numeric limits the spec sets (spec/constants.json, "limits"). */
public final class Limits {
    private Limits() {}

    /** Longest string (export name, description, context name, message) a peer may send. */
    public static final int MAX_STRING = 4096;
    /** Longest string a peer should send. */
    public static final int RECOMMENDED_MAX_STRING = 256;
    /** Default minimum block size when nothing was negotiated. */
    public static final int DEFAULT_MIN_BLOCK = 1;
    /** Default preferred block size when nothing was negotiated. */
    public static final int DEFAULT_PREFERRED_BLOCK = 4096;
    /** Default maximum payload: a server must accept at least this much. */
    public static final int DEFAULT_MAX_PAYLOAD = 32 * 1024 * 1024;
    /** The largest minimum block size the spec allows. */
    public static final int MAX_MIN_BLOCK = 64 * 1024;
    /** Padding after the EXPORT_NAME reply unless NO_ZEROES was negotiated. */
    public static final int EXPORT_NAME_PADDING = 124;
    /** Extents a block status chunk should hold at most. */
    public static final int MAX_EXTENTS_PER_CHUNK = 1 << 20;
    /** A DF read of at most this many bytes must be served unfragmented. */
    public static final int DF_MINIMUM = 65536;
}
