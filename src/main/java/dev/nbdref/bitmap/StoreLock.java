package dev.nbdref.bitmap;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An OS lock on {@code STORE.lock}, held while a server (or the CLI, briefly) uses a store. The in-use flag
 * in the store survives a crash; this lock does not (the kernel drops it with the process), which is how the
 * CLI tells a running server from a killed one. The lock file is never deleted: deleting it would let two
 * processes lock two different files of the same name.
 */
final class StoreLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private StoreLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static Path fileFor(Path store) {
        return store.resolveSibling(store.getFileName() + ".lock");
    }

    /** Takes the lock or fails at once with a live {@link BitmapStoreInUseException}. */
    static StoreLock acquire(Path store) throws IOException {
        Path file = fileFor(store);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) { // held by this very process
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new BitmapStoreInUseException(store + " is open in a running nbdref server (" + file + " is locked);"
                    + " change its bitmaps through the server's management socket (nbdref bitmap --socket)", true);
        }
        return new StoreLock(channel, lock);
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
