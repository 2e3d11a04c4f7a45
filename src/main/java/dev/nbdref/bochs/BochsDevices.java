package dev.nbdref.bochs;

import dev.nbdref.block.BlockDevice;
import java.io.IOException;
import java.nio.file.Path;

/** Opens the right device for a Bochs file: Growing images directly, redologs over their base. */
public final class BochsDevices {
    private BochsDevices() {}

    /**
     * Opens {@code path} as a block device, lenient as qemu is. Only Growing images can be writable;
     * a redolog's base is found by Bochs' naming convention (BASE.redolog).
     */
    public static BlockDevice open(Path path, boolean readOnly) throws IOException {
        Subtype subtype = peekSubtype(path);
        if (subtype == Subtype.GROWING) return GrowingDevice.open(path, readOnly, ReadOptions.LENIENT);
        if (!readOnly) {
            throw new IOException(path + " is a " + subtype.text() + " redolog: only Growing images can be"
                    + " served writable (drop ,rw)");
        }
        return RedologDevice.open(path, null, ReadOptions.LENIENT);
    }

    private static Subtype peekSubtype(Path path) throws IOException {
        try (BochsImage image = BochsImage.open(path, ReadOptions.LENIENT)) {
            return image.header().subtype();
        }
    }
}
