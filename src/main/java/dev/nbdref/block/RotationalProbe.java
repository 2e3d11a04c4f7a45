package dev.nbdref.block;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tells whether a file lives on a rotating disk, from {@code /sys/dev/block/MAJOR:MINOR/queue/rotational}
 * of the device holding it. Anything unknown (tmpfs, overlay, another OS) counts as not rotational, which
 * only costs the client a scheduling hint.
 */
final class RotationalProbe {
    private static final Path SYS_DEV_BLOCK = Path.of("/sys/dev/block");

    private RotationalProbe() {}

    static boolean isRotational(Path file) {
        try {
            long dev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
            Path device = SYS_DEV_BLOCK.resolve(major(dev) + ":" + minor(dev));
            // A partition has no queue of its own; its parent disk's directory does.
            for (Path queue : new Path[] {device.resolve("queue"), device.resolve("../queue")}) {
                Path flag = queue.resolve("rotational");
                if (Files.isReadable(flag)) return Files.readString(flag).trim().equals("1");
            }
        } catch (IOException | RuntimeException e) {
            // The "unix" view or /sys is missing: no hint rather than a failure.
        }
        return false;
    }

    /** Linux dev_t layout, as glibc's gnu_dev_major/minor decode it. */
    private static long major(long dev) {
        return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & 0xfffff000L);
    }

    private static long minor(long dev) {
        return (dev & 0xff) | ((dev >>> 12) & 0xffffff00L);
    }
}
