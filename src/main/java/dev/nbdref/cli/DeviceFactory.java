package dev.nbdref.cli;

import dev.nbdref.bitmap.BitmapSet;
import dev.nbdref.bitmap.BitmapSpec;
import dev.nbdref.bitmap.BitmapStore;
import dev.nbdref.bitmap.DirtyTrackingDevice;
import dev.nbdref.bochs.BochsDevices;
import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.FileDevice;
import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.Export;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Opens the device an {@link ExportSpec} names. */
final class DeviceFactory {
    private DeviceFactory() {}

    static Export open(ExportSpec spec) throws IOException {
        return open(spec, List.of());
    }

    /**
     * Opens the export and, when it is writable, tracks its writes in dirty bitmaps: {@code bitmaps} are those
     * named for it on the command line. A file export keeps them in a store beside the image (when any is named,
     * or a store already exists); a memory export keeps them in memory. Every writable export is tracked, so
     * bitmaps can also be added later through the management socket.
     */
    static Export open(ExportSpec spec, List<BitmapSpec> bitmaps) throws IOException {
        BlockDevice device = device(spec);
        boolean readOnly = readOnly(spec) || device.capabilities().readOnly();
        if (readOnly) {
            if (!bitmaps.isEmpty()) {
                device.close();
                throw new IllegalArgumentException("export \"" + spec.name() + "\" is read-only: it never changes, "
                        + "so a dirty bitmap on it makes no sense");
            }
            return new Export(spec.name(), spec.description(), device, true, spec.tlsOnly());
        }
        DirtyTrackingDevice tracked = track(spec, device, bitmaps);
        return new Export(spec.name(), spec.description(), tracked, false, spec.tlsOnly(), tracked.bitmaps());
    }

    private static DirtyTrackingDevice track(ExportSpec spec, BlockDevice device, List<BitmapSpec> bitmaps)
            throws IOException {
        DirtyTrackingDevice tracked;
        if (spec.kind().equals("file") && (!bitmaps.isEmpty() || BitmapStore.existsFor(Path.of(spec.argument())))) {
            tracked = DirtyTrackingDevice.wrap(device, BitmapStore.openForServer(Path.of(spec.argument()), device.size()));
        } else {
            tracked = DirtyTrackingDevice.wrap(device, new BitmapSet(device.size()));
        }
        for (BitmapSpec b : bitmaps) tracked.bitmaps().ensure(b.name(), b.granularity());
        return tracked;
    }

    /** Bochs images are served read-only unless rw is asked for; memory and file exports are writable. */
    private static boolean readOnly(ExportSpec spec) {
        return spec.readOnlyOr(spec.kind().equals("bochs"));
    }

    private static BlockDevice device(ExportSpec spec) throws IOException {
        switch (spec.kind()) {
            case "memory":
                return new MemoryDevice(Sizes.parse(spec.argument()), spec.readOnlyOr(false));
            case "file":
                Path path = Path.of(spec.argument());
                if (!Files.isRegularFile(path)) {
                    throw new IOException("export \"" + spec.name() + "\": no such file: " + path
                            + " (create it first, e.g. truncate -s 1G " + path + ")");
                }
                return FileDevice.open(path, spec.readOnlyOr(false));
            case "bochs":
                return BochsDevices.open(Path.of(spec.argument()), readOnly(spec));
            default:
                throw new IllegalArgumentException("unknown export kind " + spec.kind());
        }
    }
}
