package dev.nbdref.server;

import dev.nbdref.bitmap.ExportBitmaps;
import dev.nbdref.block.BlockDevice;

/**
 * A named device offered to clients.
 *
 * @param readOnly set by configuration; a read-only device makes the export read-only too
 * @param tlsOnly  reachable only over TLS (the spec's SELECTIVETLS); hidden from LIST before TLS
 * @param bitmaps  the dirty bitmaps offered as qemu:dirty-bitmap:NAME contexts
 */
public record Export(String name, String description, BlockDevice device, boolean readOnly, boolean tlsOnly,
                     ExportBitmaps bitmaps) {

    public Export(String name, String description, BlockDevice device, boolean readOnly) {
        this(name, description, device, readOnly, false, ExportBitmaps.NONE);
    }

    public Export(String name, String description, BlockDevice device, boolean readOnly, boolean tlsOnly) {
        this(name, description, device, readOnly, tlsOnly, ExportBitmaps.NONE);
    }

    public Export {
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > dev.nbdref.spec.Limits.MAX_STRING) {
            throw new IllegalArgumentException("export name longer than 4096 bytes: " + name);
        }
        readOnly = readOnly || device.capabilities().readOnly();
    }

    public long size() { return device.size(); }
}
