package dev.nbdref.server;

import dev.nbdref.block.BlockDevice;

/**
 * A named device offered to clients.
 *
 * @param readOnly set by configuration; a read-only device makes the export read-only too
 * @param tlsOnly  reachable only over TLS (the spec's SELECTIVETLS); hidden from LIST before TLS
 */
public record Export(String name, String description, BlockDevice device, boolean readOnly, boolean tlsOnly) {

    public Export(String name, String description, BlockDevice device, boolean readOnly) {
        this(name, description, device, readOnly, false);
    }

    public Export {
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > dev.nbdref.spec.Limits.MAX_STRING) {
            throw new IllegalArgumentException("export name longer than 4096 bytes: " + name);
        }
        readOnly = readOnly || device.capabilities().readOnly();
    }

    public long size() { return device.size(); }
}
