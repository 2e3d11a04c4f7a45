package dev.nbdref.bochs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Converts a Bochs disk to a raw image. Each run of present sectors is copied with one transfer straight
 * from the image file (sendfile: the kernel moves the bytes, nothing passes through the Java heap); absent
 * runs of a Growing image stay holes in the output; a redolog's absent runs are copied from its base.
 * One thread: buffered writes to one file serialise on the file's lock anyway, so more threads only add
 * contention.
 */
public final class RawExporter {
    private RawExporter() {}

    /** Writes the disk's bytes to {@code out}, replacing it. Returns the number of bytes copied from files. */
    public static long export(BochsDisk disk, Path out) throws IOException {
        try (FileChannel target = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long[] copied = {0};
            if (disk.size() > 0) {
                disk.visitSpans(0, disk.size(), (pos, span) -> {
                    copied[0] += copySpan(disk, pos, span, target);
                    return true;
                });
            }
            if (target.size() < disk.size()) {
                ImageIo.writeFully(target, ByteBuffer.allocate(1), disk.size() - 1); // sets the size; a hole before
            }
            return copied[0];
        }
    }

    private static long copySpan(BochsDisk disk, long pos, Span span, FileChannel target) throws IOException {
        if (span.isPresent()) return transfer(disk.image().channel(), span.fileOffset(), span.length(), target, pos);
        if (disk.hasBase()) return transfer(disk.baseChannel(), pos, span.length(), target, pos);
        return 0;
    }

    /** Copies up to {@code length} bytes; a source that ends early leaves the rest a hole (zeroes). */
    private static long transfer(FileChannel source, long from, long length, FileChannel target, long to)
            throws IOException {
        long done = 0;
        while (done < length) {
            target.position(to + done);
            long n = source.transferTo(from + done, length - done, target);
            if (n <= 0) break;
            done += n;
        }
        return done;
    }
}
