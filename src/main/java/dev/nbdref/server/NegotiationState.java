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
    /** The final SET_META_CONTEXT's export name and result; null when none was sent (C24). */
    String metaContextExport;
    List<MetaContextSelection.Selected> metaContexts = List.of();
    int optionsSeen;

    NegotiationState(int clientFlags) { this.clientFlags = clientFlags; }

    boolean fixedNewstyle() { return HandshakeFlag.FIXED_NEWSTYLE.isSetIn(clientFlags); }

    boolean noZeroes() { return HandshakeFlag.NO_ZEROES.isSetIn(clientFlags); }

    void clearMetaContexts() {
        metaContextExport = null;
        metaContexts = List.of();
    }
}
