package dev.nbdref.server;

import dev.nbdref.block.DeviceCapabilities;
import dev.nbdref.spec.TransmissionFlag;

/** Derives the transmission flags of an export from its device and the negotiated state (S62). */
final class TransmissionFlags {
    private TransmissionFlags() {}

    /**
     * @param structured structured replies or extended headers were negotiated
     * @param extended   extended headers were negotiated
     * @param contexts   metadata contexts were selected for this export
     * @param soleConnection the server allows one connection at a time (--max-connections 1)
     */
    static int of(Export export, boolean structured, boolean extended, boolean contexts, boolean soleConnection) {
        DeviceCapabilities caps = export.device().capabilities();
        int flags = TransmissionFlag.HAS_FLAGS.bit | TransmissionFlag.SEND_FLUSH.bit | TransmissionFlag.SEND_FUA.bit
                | TransmissionFlag.SEND_CACHE.bit;
        if (export.readOnly()) {
            flags |= TransmissionFlag.READ_ONLY.bit;
        } else {
            // Writing zeroes is always supported (by writing them if nothing faster exists), so NO_HOLE is too;
            // FAST_ZERO is advertised because we can always answer it, quickly, with ENOTSUP.
            flags |= TransmissionFlag.SEND_TRIM.bit | TransmissionFlag.SEND_WRITE_ZEROES.bit
                    | TransmissionFlag.SEND_FAST_ZERO.bit;
        }
        if (structured) flags |= TransmissionFlag.SEND_DF.bit; // S62: DF only with structured replies
        if (extended && contexts) flags |= TransmissionFlag.BLOCK_STATUS_PAYLOAD.bit; // S72: only with EH
        // S59. Not with one connection allowed: a client taking the flag as leave to open more would wait for ever
        // for their greetings (the limit makes them wait, ConnectionSlots). qemu drops it at max-connections=1 too.
        if (caps.sharedCache() && !soleConnection) flags |= TransmissionFlag.CAN_MULTI_CONN.bit;
        if (caps.rotational()) flags |= TransmissionFlag.ROTATIONAL.bit;
        return flags;
    }
}
