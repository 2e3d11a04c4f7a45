package dev.nbdref.bochs;

import dev.nbdref.block.BlockDevice;
import java.io.IOException;
import java.nio.file.Path;

/** Opens the right device for a Bochs file: Growing images directly, redologs over their base. */
public final class BochsDevices {
    private BochsDevices() {}

    /**
     * Opens {@code path} as a block device. Read-only devices read leniently, as qemu does; a writable one must
     * be a strictly valid Growing image. A redolog's base is found by Bochs' naming convention (BASE.redolog).
     */
    public static BlockDevice open(Path path, boolean readOnly) throws IOException {
        if (!readOnly) return GrowingDevice.open(path, false, ReadOptions.STRICT);
        BochsImage image = BochsImage.open(path, ReadOptions.LENIENT);
        try {
            if (image.header().subtype() == Subtype.GROWING) return GrowingDevice.over(image, false);
            return RedologDevice.over(BochsDisk.over(image, null));
        } catch (IOException | RuntimeException e) {
            image.close();
            throw e;
        }
    }
}
