package dev.nbdref.bochs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The per-extent sector bitmaps, read on first use and kept in memory within a budget (past it they are read
 * again each time), so a whole-disk read costs one bitmap read per extent, not one per sector. The budget
 * follows what the file holds, not what the header claims: the catalog's size plus 1/64 of the file, at most
 * 64 MiB (a cached bitmap costs its bytes plus about 64, and each extent stored takes at least 4.5 KiB of file).
 *
 * <p>Bitmaps are immutable once published: a writer replaces one under the extent's lock, and readers
 * that fetch it under the same lock always see the bits that match the data already written.
 * Bochs stores bit k of the extent (LSB first) in byte k/8, which is exactly {@link BitSet#valueOf(byte[])}.
 */
final class BitmapCache {
    private static final long MAX_BUDGET = 64L << 20;
    private static final int OVERHEAD = 64;
    private static final int STRIPES = 256;

    private final FileChannel channel;
    private final Geometry geometry;
    private final AtomicReferenceArray<BitSet> cached;
    private final AtomicLong spent = new AtomicLong();
    private final AtomicLong budget;
    private final Object[] locks = new Object[STRIPES];

    BitmapCache(FileChannel channel, Geometry geometry, long fileSize) {
        this.channel = channel;
        this.geometry = geometry;
        this.budget = new AtomicLong(Math.min(MAX_BUDGET, 4 * geometry.catalogEntries() + fileSize / 64));
        this.cached = new AtomicReferenceArray<>(Math.toIntExact(geometry.usedEntries()));
        for (int i = 0; i < STRIPES; i++) locks[i] = new Object();
    }

    /** The file grew by {@code bytes} (a writer appended an extent): the budget grows with it. */
    void fileGrew(long bytes) {
        budget.updateAndGet(b -> Math.min(MAX_BUDGET, b + bytes / 64));
    }

    /** The lock that serialises changes to virtual extent {@code index} (its bitmap, data and catalog entry). */
    Object lockFor(long index) {
        return locks[(int) (index % STRIPES)];
    }

    /** The bitmap of virtual extent {@code index}, stored at physical extent {@code physical}. Do not modify it. */
    BitSet get(long index, long physical) throws IOException {
        synchronized (lockFor(index)) {
            BitSet bits = cached.get((int) index);
            if (bits != null) return bits;
            bits = load(physical);
            keep(index, bits);
            return bits;
        }
    }

    /** Publishes a new bitmap for {@code index}; the caller holds {@link #lockFor} and wrote it to the file first. */
    void put(long index, BitSet bits) {
        if (cached.get((int) index) != null) {
            cached.set((int) index, bits);
        } else {
            keep(index, bits);
        }
    }

    private void keep(long index, BitSet bits) {
        long cost = geometry.bitmapBytesUsed() + OVERHEAD;
        if (spent.addAndGet(cost) <= budget.get()) {
            cached.set((int) index, bits);
        } else {
            spent.addAndGet(-cost);
        }
    }

    /** Reads the bits of one physical extent; bits past the extent's sectors are dropped (B23). */
    private BitSet load(long physical) throws IOException {
        long start;
        try {
            start = geometry.extentStart(physical);
        } catch (ArithmeticException beyondAnyFile) {
            return new BitSet(); // lenient mode only: such an extent cannot be in the file, so nothing is set
        }
        byte[] raw = new byte[geometry.bitmapBytesUsed()];
        ImageIo.readOrZero(channel, ByteBuffer.wrap(raw), start);
        BitSet bits = BitSet.valueOf(raw);
        int sectors = (int) geometry.sectorsPerExtent();
        if (bits.length() > sectors) bits.clear(sectors, bits.length());
        return bits;
    }
}
