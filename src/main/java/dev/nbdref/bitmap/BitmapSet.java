package dev.nbdref.bitmap;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * The dirty bitmaps of one export, and the only way to change them.
 *
 * <p>Ordering: writes mark under the read lock; management operations (add, remove, clear, enable, disable,
 * merge) take the write lock, so each one is atomic against marks: a mark lands either wholly before a clear
 * (and is wiped) or wholly after it (and is kept). BLOCK_STATUS reads ({@link #find}, {@link DirtyBitmap#runs})
 * take no lock: the bitmap map is replaced, never changed in place, and the bits are atomic.
 *
 * <p>For a persistent set the store is told after each change, outside the lock, so it can save the new
 * shape (see {@link BitmapStore}).
 */
public final class BitmapSet implements ExportBitmaps {
    /** Per export; each bitmap costs a mark on every write. */
    public static final int MAX_BITMAPS = 256;

    /** Called after each management change of a persistent set. */
    interface Saver {
        void save() throws IOException;
    }

    private final long deviceSize;
    private final boolean persistent;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Sorted by name; replaced as a whole under the write lock, read without locking. */
    private volatile SortedMap<String, InMemoryBitmap> bitmaps = Collections.emptySortedMap();
    private volatile Saver saver = () -> { };
    private boolean closed; // guarded by lock

    /** An empty, non-persistent set for a device of {@code deviceSize} bytes (memory exports). */
    public BitmapSet(long deviceSize) {
        this(deviceSize, false);
    }

    BitmapSet(long deviceSize, boolean persistent) {
        if (deviceSize < 0) throw new IllegalArgumentException("device size must not be negative: " + deviceSize);
        this.deviceSize = deviceSize;
        this.persistent = persistent;
    }

    public long deviceSize() {
        return deviceSize;
    }

    /** True when the bitmaps are saved beside the image and survive restarts. */
    public boolean persistent() {
        return persistent;
    }

    @Override
    public List<String> names() {
        return List.copyOf(bitmaps.keySet());
    }

    @Override
    public Optional<DirtyBitmap> find(String name) {
        return Optional.ofNullable(bitmaps.get(name));
    }

    /** Every bitmap, sorted by name. */
    public List<BitmapInfo> list() {
        List<BitmapInfo> out = new ArrayList<>();
        for (InMemoryBitmap b : bitmaps.values()) out.add(BitmapInfo.of(b));
        return out;
    }

    /** Adds an empty (clean) bitmap. */
    public BitmapInfo add(String name, long granularity, boolean enabled) throws IOException {
        return change(map -> {
            if (map.containsKey(name)) {
                throw new BitmapException(BitmapException.Kind.EXISTS, "bitmap " + name + " exists already");
            }
            if (map.size() >= MAX_BITMAPS) {
                throw new BitmapException(BitmapException.Kind.INVALID,
                        "an export can have at most " + MAX_BITMAPS + " bitmaps");
            }
            map.put(name, new InMemoryBitmap(name, granularity, deviceSize, enabled));
        }, name);
    }

    /**
     * Makes sure bitmap {@code name} exists, as {@code serve --bitmap EXPORT:NAME[:GRAN]} asks: adds an enabled,
     * clean one when missing (default granularity when none is given); keeps an existing one (a persistent
     * bitmap keeps its bits) unless its granularity differs from the one given, which is an INCOMPATIBLE error.
     */
    public BitmapInfo ensure(String name, OptionalLong granularity) throws IOException {
        InMemoryBitmap existing = bitmaps.get(name);
        if (existing == null) return add(name, granularity.orElse(Granularity.DEFAULT), true);
        if (granularity.isPresent() && granularity.getAsLong() != existing.granularity()) {
            throw new BitmapException(BitmapException.Kind.INCOMPATIBLE, "bitmap " + name + " exists with granularity "
                    + existing.granularity() + ", not " + granularity.getAsLong() + "; remove it first to change it");
        }
        return BitmapInfo.of(existing);
    }

    public void remove(String name) throws IOException {
        change(map -> {
            require(map, name);
            map.remove(name);
        }, null);
    }

    /** Makes every granule clean (after a backup has copied them). */
    public BitmapInfo clear(String name) throws IOException {
        return change(map -> require(map, name).clear(), name);
    }

    public BitmapInfo enable(String name) throws IOException {
        return change(map -> require(map, name).setEnabled(true), name);
    }

    /** A disabled bitmap keeps its bits and records no new writes (a frozen point in time for a backup). */
    public BitmapInfo disable(String name) throws IOException {
        return change(map -> require(map, name).setEnabled(false), name);
    }

    /** ORs bitmap {@code source} into bitmap {@code target}; same granularity required. */
    public BitmapInfo merge(String source, String target) throws IOException {
        return change(map -> require(map, target).mergeFrom(require(map, source)), target);
    }

    /** Marks the range in every enabled bitmap; refused once the set was closed for shutdown. */
    void markWrite(long offset, long length) throws BitmapsClosedException {
        lock.readLock().lock();
        try {
            if (closed) {
                throw new BitmapsClosedException("the bitmaps of this export were saved for shutdown; the write at "
                        + offset + " cannot be recorded and is refused");
            }
            for (InMemoryBitmap b : bitmaps.values()) b.mark(offset, length);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Adds a bitmap as loaded from a store, without telling the store. */
    void load(InMemoryBitmap bitmap) {
        if (bitmap.deviceSize() != deviceSize) {
            throw new IllegalArgumentException("bitmap " + bitmap.name() + " covers " + bitmap.deviceSize()
                    + " bytes, the export " + deviceSize);
        }
        apply(map -> {
            if (map.putIfAbsent(bitmap.name(), bitmap) != null) {
                throw new BitmapException(BitmapException.Kind.EXISTS, "bitmap " + bitmap.name() + " twice");
            }
        });
    }

    /** Marks every granule of every bitmap, enabled or not: after a crash nothing else is safe. */
    void markAllDirty() {
        apply(map -> map.values().forEach(InMemoryBitmap::setAll));
    }

    void saver(Saver s) {
        this.saver = s;
    }

    /** A consistent copy of every bitmap, for saving. */
    List<StoredBitmap> snapshot() {
        lock.writeLock().lock();
        try {
            return copyOf(bitmaps);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Refuses every later mark and change, and returns the final bits to save. */
    List<StoredBitmap> close() {
        lock.writeLock().lock();
        try {
            closed = true;
            return copyOf(bitmaps);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static List<StoredBitmap> copyOf(SortedMap<String, InMemoryBitmap> map) {
        List<StoredBitmap> out = new ArrayList<>(map.size());
        for (InMemoryBitmap b : map.values()) {
            out.add(new StoredBitmap(b.name(), b.granularity(), b.enabled(), b.snapshotWords()));
        }
        return out;
    }

    private static InMemoryBitmap require(SortedMap<String, InMemoryBitmap> map, String name) {
        InMemoryBitmap b = map.get(name);
        if (b == null) throw new BitmapException(BitmapException.Kind.NO_SUCH_BITMAP, "no bitmap named " + name);
        return b;
    }

    /** Runs a management change, lets the store save it, and returns {@code name}'s info (null for none). */
    private BitmapInfo change(Consumer<SortedMap<String, InMemoryBitmap>> edit, String name) throws IOException {
        apply(edit);
        saver.save();
        InMemoryBitmap b = name == null ? null : bitmaps.get(name);
        return b == null ? null : BitmapInfo.of(b);
    }

    /** Edits a copy of the map under the write lock and publishes it. */
    private void apply(Consumer<SortedMap<String, InMemoryBitmap>> edit) {
        lock.writeLock().lock();
        try {
            if (closed) throw new BitmapException(BitmapException.Kind.CLOSED, "the bitmaps were saved for shutdown");
            SortedMap<String, InMemoryBitmap> copy = new TreeMap<>(bitmaps);
            edit.accept(copy);
            bitmaps = Collections.unmodifiableSortedMap(copy);
        } finally {
            lock.writeLock().unlock();
        }
    }
}
