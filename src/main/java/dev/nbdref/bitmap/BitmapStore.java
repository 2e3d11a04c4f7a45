package dev.nbdref.bitmap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The persistent bitmaps of one image, kept in {@code IMAGE.nbdref-bitmaps} (format: spec/bitmap-format.md).
 *
 * <p>A server opens the store with {@link #openForServer}: that locks it, loads the bitmaps, sets the in-use
 * flag and makes it durable before any write can be served. Every management change is saved at once (with the
 * flag still set). {@link #close()} seals the set (later writes are refused, not lost), writes the final bits
 * with the flag cleared, and unlocks. A server that dies in between leaves the flag set, and the next open loads
 * every bitmap as entirely dirty: a backup then copies too much, never too little.
 *
 * <p>The CLI opens a store {@link #openAtRest at rest}: it refuses a store a running server holds, and one whose
 * in-use flag is set unless forced; it writes only if something changed.
 */
public final class BitmapStore implements Closeable {
    public static final String SUFFIX = ".nbdref-bitmaps";
    private static final Logger log = LoggerFactory.getLogger(BitmapStore.class);

    private final Path file;
    private final long imageSize;
    private final StoreLock lock;
    private final BitmapSet bitmaps;
    private final boolean server;
    private final boolean recoveredDirty;
    private boolean modified;
    private boolean closed;

    private BitmapStore(Path file, long imageSize, StoreLock lock, boolean server, boolean recoveredDirty) {
        this.file = file;
        this.imageSize = imageSize;
        this.lock = lock;
        this.server = server;
        this.recoveredDirty = recoveredDirty;
        this.bitmaps = new BitmapSet(imageSize, true);
    }

    /** Where the bitmaps of {@code image} are stored. */
    public static Path fileFor(Path image) {
        return image.resolveSibling(image.getFileName() + SUFFIX);
    }

    /** True when {@code image} has a bitmap store; a server must then track writes to it even without --bitmap. */
    public static boolean existsFor(Path image) {
        return Files.exists(fileFor(image));
    }

    /**
     * Opens (or creates) the store of {@code image} for a server whose device is {@code imageSize} bytes. Returns
     * once the in-use flag is durable. If the flag was set already (the last server was killed), or the image
     * changed size, every bitmap is loaded entirely dirty and a warning is logged.
     *
     * @throws BitmapStoreInUseException   another running server has the store open
     * @throws CorruptBitmapStoreException the store file is damaged; nothing is loaded
     */
    public static BitmapStore openForServer(Path image, long imageSize) throws IOException {
        Path file = fileFor(image);
        StoreLock lock = StoreLock.acquire(file);
        try {
            Optional<StoreContents> stored = read(file);
            boolean dirty = needsRecovery(file, stored, imageSize);
            BitmapStore store = new BitmapStore(file, imageSize, lock, true, dirty);
            store.load(stored);
            store.write(true);
            store.bitmaps.saver(store::checkpoint);
            return store;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Opens the store of {@code image} for a one-off change by the CLI. A store that does not exist yet reads as
     * empty and is created by the first change.
     *
     * @param force accept a store whose in-use flag is set with no server running (the last one was killed);
     *              its bitmaps read as entirely dirty, and a change saves them that way with the flag cleared
     * @throws BitmapStoreInUseException a running server has the store open, or the flag is set and not forced
     */
    public static BitmapStore openAtRest(Path image, boolean force) throws IOException {
        if (!Files.isRegularFile(image)) throw new NoSuchFileException(image.toString(), null, "no such image file");
        long imageSize = Files.size(image);
        Path file = fileFor(image);
        StoreLock lock = StoreLock.acquire(file);
        try {
            Optional<StoreContents> stored = read(file);
            if (stored.isPresent() && stored.get().inUse() && !force) {
                throw new BitmapStoreInUseException(file + " is marked in use, but no server has it open: the server"
                        + " that had it was killed, so its bitmaps are no longer exact. Pass --force to go on; every"
                        + " bitmap will then read as entirely dirty", false);
            }
            boolean dirty = needsRecovery(file, stored, imageSize);
            BitmapStore store = new BitmapStore(file, imageSize, lock, false, dirty);
            store.load(stored);
            store.bitmaps.saver(store::changed);
            return store;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The bitmaps; give them to {@link DirtyTrackingDevice} and the management server. */
    public BitmapSet bitmaps() {
        return bitmaps;
    }

    public Path file() {
        return file;
    }

    /** True when the bitmaps were loaded entirely dirty (killed server or resized image). */
    public boolean recoveredDirty() {
        return recoveredDirty;
    }

    /**
     * Saves the final bits with the in-use flag cleared and unlocks (a server); saves changes, if any, and unlocks
     * (the CLI). A server's set refuses marks from here on. Idempotent.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            if (server) {
                write(false, bitmaps.close());
                log.info("saved {} bitmap(s) to {}", bitmaps.names().size(), file);
            } else if (modified) {
                write(false, bitmaps.close());
            } else {
                bitmaps.close();
            }
        } finally {
            lock.close();
        }
    }

    private static Optional<StoreContents> read(Path file) throws IOException {
        if (!Files.exists(file)) return Optional.empty();
        long length = Files.size(file);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return Optional.of(BitmapFileFormat.read(in, length, file.toString()));
        }
    }

    private static boolean needsRecovery(Path file, Optional<StoreContents> stored, long imageSize) {
        if (stored.isEmpty()) return false;
        if (stored.get().inUse()) {
            log.warn("{} was left in use: the server that had it open was killed. Every bitmap ({}) now reads as"
                    + " entirely dirty; the next backup from them copies everything.", file, names(stored.get()));
            return true;
        }
        if (stored.get().imageSize() != imageSize) {
            log.warn("{} was saved for a {}-byte image, but the image now has {} bytes (resized at rest). Every bitmap"
                    + " ({}) now reads as entirely dirty.", file, stored.get().imageSize(), imageSize, names(stored.get()));
            return true;
        }
        return false;
    }

    private static String names(StoreContents contents) {
        return String.join(", ", contents.bitmaps().stream().map(StoredBitmap::name).toList());
    }

    /** Loads the stored bitmaps; after a crash or resize they keep name, granularity and state, not their bits. */
    private void load(Optional<StoreContents> stored) {
        if (stored.isEmpty()) return;
        for (StoredBitmap b : stored.get().bitmaps()) {
            bitmaps.load(recoveredDirty ? new InMemoryBitmap(b.name(), b.granularity(), imageSize, b.enabled())
                    : b.toBitmap(imageSize));
        }
        if (recoveredDirty) bitmaps.markAllDirty();
    }

    /** After each management change of a running server: saved with the in-use flag still set. */
    private synchronized void checkpoint() throws IOException {
        if (closed) return;
        write(true);
    }

    private synchronized void changed() {
        modified = true;
    }

    private void write(boolean inUse) throws IOException {
        write(inUse, bitmaps.snapshot());
    }

    private void write(boolean inUse, List<StoredBitmap> snapshot) throws IOException {
        StoreContents contents = new StoreContents(inUse, imageSize, snapshot);
        AtomicFiles.replace(file, out -> BitmapFileFormat.write(out, contents));
    }
}
