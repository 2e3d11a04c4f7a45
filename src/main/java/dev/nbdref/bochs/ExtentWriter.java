package dev.nbdref.bochs;

import dev.nbdref.block.NoSpaceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.BitSet;

/**
 * Writes to a Growing image with Bochs' allocation semantics: the first write to a virtual extent appends
 * a zeroed physical extent (numbered one past the highest in use), then the data goes in, then the bitmap
 * bits are set, and only then the catalog entry is written, so a crash leaves at worst an orphan extent
 * that the next allocation reuses. Trimming clears bitmap bits: a clear bit reads as zeroes.
 *
 * <p>Thread safety: each virtual extent is changed under its {@link BitmapCache#lockFor lock}; allocation
 * takes one more lock. Data reaches the file before the bits that make it visible are published.
 */
final class ExtentWriter {
    private final FileChannel channel;
    private final Geometry geometry;
    private final Catalog catalog;
    private final BitmapCache bitmaps;
    private final Object allocationLock = new Object();
    private long nextPhysical;
    private long fileEnd;

    ExtentWriter(BochsImage image) throws IOException {
        this.channel = image.channel();
        this.geometry = image.geometry();
        this.catalog = image.catalog();
        this.bitmaps = image.bitmaps();
        this.nextPhysical = catalog.nextPhysical(geometry);
        this.fileEnd = channel.size();
    }

    /** Writes {@code src} at virtual {@code offset} (the caller checked the range). */
    void write(long offset, ByteBuffer src) throws IOException {
        long pos = offset;
        while (src.hasRemaining()) {
            long within = pos % geometry.extentBytes();
            int n = (int) Math.min(src.remaining(), geometry.extentBytes() - within);
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + n);
            writeInExtent(pos / geometry.extentBytes(), within, part);
            src.position(src.position() + n);
            pos += n;
        }
    }

    /** Writes zeroes that stay allocated (what NBD's NO_HOLE asks for). */
    void writeZeroes(long offset, long length) throws IOException {
        ByteBuffer zeroes = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int n = (int) Math.min(end - pos, zeroes.capacity());
            write(pos, zeroes.clear().limit(n));
            pos += n;
        }
    }

    /** Makes the range read as zeroes by clearing bits; partial sectors at the edges are written as zeroes. */
    void deallocate(long offset, long length) throws IOException {
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long within = pos % geometry.extentBytes();
            long n = Math.min(end - pos, geometry.extentBytes() - within);
            deallocateInExtent(pos / geometry.extentBytes(), within, n);
            pos += n;
        }
    }

    private void writeInExtent(long index, long within, ByteBuffer data) throws IOException {
        synchronized (bitmaps.lockFor(index)) {
            long physical = catalog.physical(index);
            boolean fresh = physical < 0;
            if (fresh) physical = allocate();
            BitSet old = fresh ? new BitSet() : bitmaps.get(index, physical);
            int first = (int) (within / HeaderLayout.SECTOR);
            int end = (int) ((within + data.remaining() + HeaderLayout.SECTOR - 1) / HeaderLayout.SECTOR);
            ByteBuffer sectors = wholeSectors(physical, old, within, data, first, end);
            ImageIo.writeFully(channel, sectors, dataStart(physical) + (long) first * HeaderLayout.SECTOR);
            BitSet bits = (BitSet) old.clone();
            bits.set(first, end);
            if (fresh || !bits.equals(old)) writeBitmap(physical, bits);
            if (fresh) {
                writeCatalogEntry(index, physical);
                catalog.set(index, physical);
            }
            bitmaps.put(index, bits);
        }
    }

    private void deallocateInExtent(long index, long within, long length) throws IOException {
        synchronized (bitmaps.lockFor(index)) {
            long physical = catalog.physical(index);
            if (physical < 0) return; // already reads as zeroes
            long sector = HeaderLayout.SECTOR;
            int firstWhole = (int) ((within + sector - 1) / sector);
            int endWhole = (int) ((within + length) / sector);
            if (firstWhole >= endWhole) {
                zeroPartial(index, physical, within, length);
                return;
            }
            zeroPartial(index, physical, within, firstWhole * sector - within);
            zeroPartial(index, physical, endWhole * sector, within + length - endWhole * sector);
            BitSet old = bitmaps.get(index, physical);
            BitSet bits = (BitSet) old.clone();
            bits.clear(firstWhole, endWhole);
            if (!bits.equals(old)) {
                writeBitmap(physical, bits);
                bitmaps.put(index, bits);
            }
        }
    }

    /** Zeroes part of one sector; only needed when the sector holds data (a clear bit already reads as zero). */
    private void zeroPartial(long index, long physical, long within, long length) throws IOException {
        if (length <= 0) return;
        int sector = (int) (within / HeaderLayout.SECTOR);
        if (bitmaps.get(index, physical).get(sector)) {
            writeInExtent(index, within, ByteBuffer.allocate((int) length));
        }
    }

    /**
     * The bytes to write for sectors [first, end): {@code data} itself when it is sector-aligned, else the
     * edge sectors' current content with {@code data} laid over it.
     */
    private ByteBuffer wholeSectors(long physical, BitSet bits, long within, ByteBuffer data, int first, int end)
            throws IOException {
        long start = (long) first * HeaderLayout.SECTOR;
        long length = (long) (end - first) * HeaderLayout.SECTOR;
        if (start == within && length == data.remaining()) return data;
        ByteBuffer merged = ByteBuffer.allocate((int) length);
        readSectorInto(physical, bits, first, merged, 0);
        readSectorInto(physical, bits, end - 1, merged, (int) (length - HeaderLayout.SECTOR));
        merged.position((int) (within - start));
        merged.put(data);
        return merged.clear();
    }

    private void readSectorInto(long physical, BitSet bits, int sector, ByteBuffer dst, int at) throws IOException {
        if (!bits.get(sector)) return; // reads as zero, and the buffer already is
        ByteBuffer slot = dst.duplicate().position(at).limit(at + HeaderLayout.SECTOR);
        ImageIo.readOrZero(channel, slot, dataStart(physical) + (long) sector * HeaderLayout.SECTOR);
    }

    /** Reserves the next physical extent and makes the file hold it, reading as zeroes. */
    private long allocate() throws IOException {
        synchronized (allocationLock) {
            if (nextPhysical >= geometry.catalogEntries()) {
                throw new NoSpaceException("the catalog is full: all " + geometry.catalogEntries()
                        + " extents are in use", null);
            }
            long physical = nextPhysical;
            long start = geometry.extentStart(physical);
            long end = Math.addExact(start, geometry.strideBytes());
            if (start >= fileEnd) {
                // Past the end the file system supplies zeroes; one byte at the end makes the file hold the extent.
                ImageIo.writeFully(channel, ByteBuffer.allocate(1), end - 1);
            } else {
                ImageIo.writeZeroes(channel, start, geometry.strideBytes()); // an orphan left by a crash
            }
            if (end > fileEnd) bitmaps.fileGrew(end - fileEnd);
            fileEnd = Math.max(fileEnd, end);
            nextPhysical++;
            return physical;
        }
    }

    private void writeBitmap(long physical, BitSet bits) throws IOException {
        byte[] raw = new byte[geometry.bitmapBytesUsed()];
        byte[] set = bits.toByteArray();
        System.arraycopy(set, 0, raw, 0, Math.min(set.length, raw.length));
        ImageIo.writeFully(channel, ByteBuffer.wrap(raw), geometry.extentStart(physical));
    }

    private void writeCatalogEntry(long index, long physical) throws IOException {
        ByteBuffer entry = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) physical);
        ImageIo.writeFully(channel, entry, HeaderLayout.SIZE + 4 * index);
    }

    private long dataStart(long physical) {
        return geometry.extentStart(physical) + geometry.bitmapBlocks() * HeaderLayout.SECTOR;
    }
}
