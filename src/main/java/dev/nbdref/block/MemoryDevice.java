package dev.nbdref.block;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A sparse device held in memory, such as the {@code memory:1G} export. Storage is split into 64 KiB pages
 * that exist only once written or provisioned, so memory follows the bytes written, not the virtual size
 * (which may be a terabyte or more).
 *
 * <p>Pages live in a concurrent sorted map: lookups need no global lock, so connections on different
 * pages run in parallel, and the sort lets extents jump straight to the next allocated page instead of
 * probing every page of a mostly empty device. Each page guards its own bytes (see {@link MemoryPage}).
 */
public final class MemoryDevice implements BlockDevice {
    static final int PAGE_SHIFT = 16;
    static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    /** Keeps page arithmetic ({@code pageStart + PAGE_SIZE}) from overflowing a long. */
    public static final long MAX_SIZE = Long.MAX_VALUE - PAGE_SIZE;

    private final long size;
    private final boolean readOnly;
    private final ConcurrentSkipListMap<Long, MemoryPage> pages = new ConcurrentSkipListMap<>();

    public MemoryDevice(long size) {
        this(size, false);
    }

    public MemoryDevice(long size, boolean readOnly) {
        if (size < 0 || size > MAX_SIZE) throw new IllegalArgumentException("memory device size out of range: " + size);
        this.size = size;
        this.readOnly = readOnly;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public DeviceCapabilities capabilities() {
        // Dropping a page is cheaper than writing zeroes, so zeroing is always "fast"; nothing is volatile
        // beyond the process, so flush has nothing to do; one heap serves every connection (multi-conn).
        return new DeviceCapabilities(readOnly, !readOnly, !readOnly, false, true, false, 1);
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        Ranges.check(offset, dst.remaining(), size);
        long pos = offset;
        while (dst.hasRemaining()) {
            int inPage = inPage(pos);
            int n = Math.min(dst.remaining(), PAGE_SIZE - inPage);
            MemoryPage page = pages.get(pageIndex(pos));
            if (page == null) {
                Zeroes.put(dst, n);
            } else {
                page.read(inPage, dst, n);
            }
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws ReadOnlyDeviceException {
        requireWritable();
        Ranges.check(offset, src.remaining(), size);
        long pos = offset;
        while (src.hasRemaining()) {
            int inPage = inPage(pos);
            int n = Math.min(src.remaining(), PAGE_SIZE - inPage);
            pageAt(pos).write(inPage, src, n);
            pos += n;
        }
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua)
            throws ReadOnlyDeviceException {
        requireWritable();
        Ranges.check(offset, length, size);
        zero(offset, length, !mayTrim);
    }

    /** Trim releases whole pages and zeroes partial ones, so a trimmed range always reads as zeroes. */
    @Override
    public void trim(long offset, long length, boolean fua) throws ReadOnlyDeviceException {
        requireWritable();
        Ranges.check(offset, length, size);
        zero(offset, length, false);
    }

    @Override
    public void flush() {
        // Memory is as durable as it gets for this device; there is no lower layer to push to.
    }

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) {
        Ranges.checkExtentsQuery(offset, length, maxExtents, size);
        long end = offset + length;
        ExtentCollector out = new ExtentCollector(maxExtents);
        long pos = offset;
        while (pos < end) {
            Extent run = runAt(pos, end);
            if (!out.add(run)) break;
            pos += run.length();
        }
        return out.toList();
    }

    @Override
    public void close() {
        pages.clear();
    }

    /** Pages currently held; lets tests check that memory follows what was written. */
    int allocatedPages() {
        return pages.size();
    }

    /** The run starting at {@code pos}: the rest of an allocated page, or the hole up to the next one. */
    private Extent runAt(long pos, long end) {
        long index = pageIndex(pos);
        Map.Entry<Long, MemoryPage> next = pages.ceilingEntry(index);
        if (next == null || next.getKey() > index) {
            long holeEnd = next == null ? end : Math.min(end, pageStart(next.getKey()));
            return Extent.hole(holeEnd - pos);
        }
        long runEnd = Math.min(end, pageStart(index) + PAGE_SIZE);
        return next.getValue().knownZero() ? Extent.allocatedZero(runEnd - pos) : Extent.data(runEnd - pos);
    }

    /**
     * Zeroes a range. Whole pages are dropped (becoming holes) unless {@code keepAllocated}, in which case
     * they are kept, or provisioned, as known-zero pages; partial pages are zero-filled in place.
     */
    private void zero(long offset, long length, boolean keepAllocated) {
        long end = offset + length;
        long firstWhole = pageIndex(offset + PAGE_SIZE - 1);
        long endWhole = pageIndex(end);
        if (firstWhole >= endWhole) {
            zeroPartial(offset, end, keepAllocated);
            return;
        }
        zeroPartial(offset, pageStart(firstWhole), keepAllocated);
        if (keepAllocated) {
            // NO_HOLE keeps allocated pages allocated; absent pages already read as zero and were never allocated,
            // so nothing is created for them: provisioning RAM a client only zeroes would let one request of a
            // 1 TiB export cost gigabytes of page objects.
            for (MemoryPage page : pages.subMap(firstWhole, endWhole).values()) page.zero(0, PAGE_SIZE);
        } else {
            // The sub-map view visits only pages that exist, so trimming a huge sparse range is cheap.
            pages.subMap(firstWhole, endWhole).clear();
        }
        zeroPartial(pageStart(endWhole), end, keepAllocated);
    }

    /** Zero-fills [from, to) within the pages that exist; an absent page already reads as zero. */
    private void zeroPartial(long from, long to, boolean keepAllocated) {
        long pos = from;
        while (pos < to) {
            int inPage = inPage(pos);
            int n = (int) Math.min(to - pos, PAGE_SIZE - inPage);
            MemoryPage page = pages.get(pageIndex(pos));
            if (page != null) page.zero(inPage, n);
            pos += n;
        }
    }

    private MemoryPage pageAt(long pos) {
        return pages.computeIfAbsent(pageIndex(pos), index -> new MemoryPage(PAGE_SIZE));
    }

    private void requireWritable() throws ReadOnlyDeviceException {
        if (readOnly) throw new ReadOnlyDeviceException("memory device is read-only");
    }

    private static long pageIndex(long pos) {
        return pos >>> PAGE_SHIFT;
    }

    private static long pageStart(long index) {
        return index << PAGE_SHIFT;
    }

    private static int inPage(long pos) {
        return (int) (pos & (PAGE_SIZE - 1));
    }
}
