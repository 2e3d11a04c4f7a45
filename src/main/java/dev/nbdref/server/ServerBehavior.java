package dev.nbdref.server;

/**
 * How the server behaves toward clients, within what the spec allows: the friendly default, or the
 * stricter, sparser and faultier behaviours a client must also survive (the validator's profiles).
 *
 * @param offerNoZeroes      offer NBD_FLAG_NO_ZEROES in the greeting
 * @param structuredReplies  accept NBD_OPT_STRUCTURED_REPLY (else ERR_UNSUP)
 * @param extendedHeaders    accept NBD_OPT_EXTENDED_HEADERS (else ERR_UNSUP)
 * @param metaContexts       accept LIST/SET_META_CONTEXT (else ERR_UNSUP)
 * @param maxDataChunk       largest OFFSET_DATA chunk of a structured read
 * @param shuffle            send a read's chunks in a scrambled order and delay replies so they complete out of order
 * @param fault              a fault to inject, or {@link Fault#NONE}
 */
public record ServerBehavior(boolean offerNoZeroes, boolean structuredReplies, boolean extendedHeaders,
                             boolean metaContexts, int maxDataChunk, boolean shuffle, Fault fault) {

    public ServerBehavior {
        if (maxDataChunk < 1) throw new IllegalArgumentException("maxDataChunk must be positive");
    }

    /** Everything offered, nothing withheld: how nbdref serves by default. */
    public static ServerBehavior standard() {
        return new ServerBehavior(true, true, true, true, CommandExecutor.READ_CHUNK, false, Fault.NONE);
    }

    public ServerBehavior withFault(Fault f) {
        return new ServerBehavior(offerNoZeroes, structuredReplies, extendedHeaders, metaContexts, maxDataChunk, shuffle, f);
    }

    /**
     * A fault injected into every connection, to test how a client copes.
     *
     * @param after how many options (or requests) pass normally before the fault strikes
     */
    public record Fault(Kind kind, int after) {
        public static final Fault NONE = new Fault(Kind.NONE, 0);

        public enum Kind {
            NONE,
            /** Close right after the greeting. */
            CLOSE_AFTER_GREETING,
            /** Close on receiving option number after+1, without replying. */
            CLOSE_IN_OPTIONS,
            /** Close on receiving request number after+1, without replying. */
            CLOSE_IN_TRANSMISSION,
            /** From request number after+1 on, answer every request with ESHUTDOWN. */
            SHUTDOWN_IN_TRANSMISSION,
            /** A structured read longer than one chunk fails with an ERROR_OFFSET chunk after its first chunk. */
            READ_ERROR_CHUNK
        }

        public boolean is(Kind k) { return kind == k; }
    }
}
