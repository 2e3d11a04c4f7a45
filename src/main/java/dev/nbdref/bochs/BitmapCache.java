package dev.nbdref.bochs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The per-extent sector bitmaps, read on first use and kept in memory up to a fixed budget (past it they are
 * read again each time), so a whole-disk read costs one bitmap read per extent, not one per sector.
 *
 * <p>Bitmaps are immutable once published: a writer replaces one under the extent's lock, and readers
 * that fetch it under the same lock always see the bits that match the data already written.
 * Bochs stores bit k of the extent (LSB first) in byte k/8, which is exactly {@link BitSet#valueOf(byte[])}.
 */
final class BitmapCache {
    /** Enough for every bitmap of a fully allocated 256 GiB image of bximage's geometry. */
    private static final long BUDGET = 64L << 20;
    private static final int OVERHEAD = 64;
    private static final int STRIPES = 256;

    private final FileChannel channel;
    private final Geometry geometry;
    private final AtomicReferenceArray<BitSet> cached;
    private final AtomicLong spent = new AtomicLong();
    private final Object[] locks = new Object[STRIPES];

    BitmapCache(FileChannel channel, Geometry geometry) {
        this.channel = channel;
        this.geometry = geometry;
        this.cached = new AtomicReferenceArray<>(Math.toIntExact(geometry.usedEntries()));
        for (int i = 0; i < STRIPES; i++) locks[i] = new Object();
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
        if (spent.addAndGet(cost) <= BUDGET) {
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
