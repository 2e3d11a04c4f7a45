package dev.nbdref.server;

import dev.nbdref.spec.TransmissionFlag;

import java.util.List;

/**
 * What the transmission phase works with, fixed when negotiation ends.
 *
 * @param framing             simple, structured or extended replies
 * @param metaContexts        the contexts BLOCK_STATUS reports, empty unless validly negotiated (C24)
 * @param blockSizeCommitted  the client asked for INFO_BLOCK_SIZE in GO, so it must honour the constraints
 */
record Session(Export export, int transmissionFlags, ReplyWriter.Framing framing,
               List<MetaContextSelection.Selected> metaContexts, SizeConstraints sizes, boolean blockSizeCommitted) {

    boolean structuredReplies() { return framing != ReplyWriter.Framing.SIMPLE; }

    boolean extendedHeaders() { return framing == ReplyWriter.Framing.EXTENDED; }

    boolean advertised(TransmissionFlag flag) { return flag.isSetIn(transmissionFlags); }
}
