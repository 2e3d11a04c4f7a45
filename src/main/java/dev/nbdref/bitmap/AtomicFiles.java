package dev.nbdref.bitmap;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces a file so that a crash at any moment leaves either the whole old file or the whole new one: the new
 * contents go to a temporary file beside it, are fsync'd, renamed over the target, and the directory is fsync'd
 * so the rename itself is durable.
 */
final class AtomicFiles {
    private AtomicFiles() {}

    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** The temporary file a write goes through; a crash may leave it behind, the next write replaces it. */
    static Path temporaryFor(Path target) {
        return target.resolveSibling(target.getFileName() + ".tmp");
    }

    static void replace(Path target, Body body) throws IOException {
        Path temp = temporaryFor(target);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
            body.writeTo(out);
            out.flush();
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(target.toAbsolutePath().getParent());
    }

    private static void syncDirectory(Path dir) throws IOException {
        // Linux lets a directory be opened for reading and fsync'd; that makes the new name durable.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
