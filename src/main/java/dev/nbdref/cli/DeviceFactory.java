package dev.nbdref.cli;

import dev.nbdref.bochs.BochsDevices;
import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.FileDevice;
import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.Export;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the device an {@link ExportSpec} names. */
final class DeviceFactory {
    private DeviceFactory() {}

    static Export open(ExportSpec spec) throws IOException {
        return new Export(spec.name(), spec.description(), device(spec), readOnly(spec), spec.tlsOnly());
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
