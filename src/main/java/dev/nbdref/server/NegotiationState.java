package dev.nbdref.server;

import dev.nbdref.spec.HandshakeFlag;

import java.util.List;

/**
 * What client and server have agreed so far in one connection's option phase. Mutable, owned by the
 * connection's reader thread; frozen into a {@link Session} when transmission starts.
 */
final class NegotiationState {
    final int clientFlags;
    boolean structuredReplies;
    /** Extended headers: 32-byte requests and replies; implies everything structured replies give. */
    boolean extendedHeaders;
    /** The final SET_META_CONTEXT's export name and result; null when none was sent (C24). */
    String metaContextExport;
    List<MetaContextSelection.Selected> metaContexts = List.of();
    int optionsSeen;
    /** ERR_SHUTDOWN was sent: the client should now end the session (C16). */
    boolean shutdownAnnounced;
    /** TLS is up; it never goes down again within a connection. */
    boolean tlsActive;

    NegotiationState(int clientFlags) { this.clientFlags = clientFlags; }

    /** S31: after STARTTLS everything negotiated before is forgotten, except the handshake and the option count. */
    NegotiationState afterTls() {
        NegotiationState fresh = new NegotiationState(clientFlags);
        fresh.optionsSeen = optionsSeen;
        fresh.tlsActive = true;
        return fresh;
    }

    boolean fixedNewstyle() { return HandshakeFlag.FIXED_NEWSTYLE.isSetIn(clientFlags); }

    boolean noZeroes() { return HandshakeFlag.NO_ZEROES.isSetIn(clientFlags); }

    boolean chunkedReplies() { return structuredReplies || extendedHeaders; }

    ReplyWriter.Framing framing() {
        return extendedHeaders ? ReplyWriter.Framing.EXTENDED
                : structuredReplies ? ReplyWriter.Framing.STRUCTURED : ReplyWriter.Framing.SIMPLE;
    }

    void clearMetaContexts() {
        metaContextExport = null;
        metaContexts = List.of();
    }
}
