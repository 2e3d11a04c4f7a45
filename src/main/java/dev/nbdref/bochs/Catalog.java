package dev.nbdref.bochs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The catalog: for each virtual extent, the physical extent that holds it or {@link HeaderLayout#UNALLOCATED}.
 * It is read whole, once, after the header passed validation, so its size is bounded by the B09 limit
 * (4 MiB). Entries are atomic because a writable image publishes new allocations to concurrent readers.
 */
final class Catalog {
    private static final int UNALLOCATED = (int) HeaderLayout.UNALLOCATED;

    private final AtomicIntegerArray entries;

    private Catalog(AtomicIntegerArray entries) {
        this.entries = entries;
    }

    /** An empty catalog of {@code size} entries, as a new image has. */
    static Catalog empty(int size) {
        AtomicIntegerArray entries = new AtomicIntegerArray(size);
        for (int i = 0; i < size; i++) entries.set(i, UNALLOCATED);
        return new Catalog(entries);
    }

    /**
     * Reads and checks the catalog: it lies inside the file (B18); in strict mode, every entry the disk uses
     * points inside the file (B19) and no two share an extent (B20). Lenient mode notes both and reads on.
     */
    static Catalog load(FileChannel channel, Geometry g, long fileSize, ReadOptions options, List<String> notes)
            throws IOException {
        long end = g.dataOffset();
        if (end > fileSize) {
            throw BochsRule.B18.error("the catalog of " + g.catalogEntries() + " entries ends at byte " + end
                    + " but the file has only " + fileSize);
        }
        ByteBuffer raw = ByteBuffer.allocate(Math.toIntExact(4 * g.catalogEntries())).order(ByteOrder.LITTLE_ENDIAN);
        ImageIo.readFully(channel, raw, HeaderLayout.SIZE);
        AtomicIntegerArray entries = new AtomicIntegerArray(raw.capacity() / 4);
        for (int i = 0; i < entries.length(); i++) entries.set(i, raw.getInt(4 * i));
        Catalog catalog = new Catalog(entries);
        catalog.checkInsideFile(g, fileSize, options, notes);
        catalog.checkNoAliasing(g, options, notes);
        return catalog;
    }

    int size() {
        return entries.length();
    }

    /** The physical extent of virtual extent {@code index}, or -1 when it is not allocated. */
    long physical(long index) {
        int entry = entries.get((int) index);
        return entry == UNALLOCATED ? -1 : Integer.toUnsignedLong(entry);
    }

    void set(long index, long physical) {
        entries.set((int) index, (int) physical);
    }

    /** Allocated entries among the used ones. */
    long allocatedCount(Geometry g) {
        long count = 0;
        for (long i = 0; i < g.usedEntries(); i++) {
            if (physical(i) >= 0) count++;
        }
        return count;
    }

    /** One past the highest physical extent in use: where Bochs puts the next allocation. */
    long nextPhysical(Geometry g) {
        long next = 0;
        for (long i = 0; i < g.usedEntries(); i++) next = Math.max(next, physical(i) + 1);
        return next;
    }

    private void checkInsideFile(Geometry g, long fileSize, ReadOptions options, List<String> notes)
            throws BochsFormatException {
        long whole = (fileSize - g.dataOffset()) / g.strideBytes();
        long outside = 0;
        for (long i = 0; i < g.usedEntries(); i++) {
            long p = physical(i);
            if (p < whole) continue; // also skips unallocated (-1)
            if (options.strict()) {
                throw BochsRule.B19.error("catalog entry " + i + " points to extent " + p
                        + ", but the file holds only " + whole + " whole extents");
            }
            outside++;
        }
        if (outside > 0) {
            notes.add(outside + " allocated extent(s) lie wholly or partly past the end of the file;"
                    + " their missing bytes read as zeroes (B19)");
        }
    }

    private void checkNoAliasing(Geometry g, ReadOptions options, List<String> notes) throws BochsFormatException {
        int[] allocated = new int[(int) g.usedEntries()];
        int n = 0;
        for (int i = 0; i < allocated.length; i++) {
            int entry = entries.get(i);
            if (entry != UNALLOCATED) allocated[n++] = entry;
        }
        int[] sorted = Arrays.copyOf(allocated, n);
        Arrays.sort(sorted); // equal values end up adjacent whatever the signed order does
        for (int k = 1; k < sorted.length; k++) {
            if (sorted[k] == sorted[k - 1]) {
                long p = Integer.toUnsignedLong(sorted[k]);
                if (options.strict()) {
                    throw BochsRule.B20.error("two catalog entries point to the same extent " + p);
                }
                notes.add("several catalog entries share extent " + p + ": they read the same data (B20)");
                return;
            }
        }
    }
}
