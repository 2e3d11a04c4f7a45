package dev.nbdref.bochs;

/**
 * The four numbers that lay out a redolog: catalog entries, bitmap bytes per extent, extent bytes and
 * disk bytes. The derived offsets use checked arithmetic; they are meaningful once the header passed
 * validation (bitmap and extent at least 1).
 */
public record Geometry(long catalogEntries, long bitmapBytes, long extentBytes, long diskBytes) {

    /** The largest disk {@link #forDisk} sizes: 1 Mi extents of 8 MiB, the most qemu can read. */
    public static final long MAX_DISK = HeaderLayout.MAX_CATALOG * HeaderLayout.MAX_EXTENT;

    /**
     * The geometry bximage and Bochs pick for a disk: starting from 512 entries of 4 KiB, alternately
     * double the bitmap (and with it the extent) and the catalog until the catalog covers the disk.
     */
    public static Geometry forDisk(long diskBytes) {
        if (diskBytes < 0 || diskBytes > MAX_DISK) {
            throw new IllegalArgumentException("disk size " + diskBytes + " is outside 0.." + MAX_DISK
                    + " (larger images would need extents qemu refuses)");
        }
        long entries = 512;
        long bitmap = 1;
        long catalog;
        long extent;
        long covered;
        int iteration = 0;
        do {
            extent = 4096 * bitmap;
            catalog = entries;
            covered = Math.multiplyExact(entries, extent);
            if (iteration % 2 == 0) {
                bitmap *= 2;
            } else {
                entries *= 2;
            }
            iteration++;
        } while (covered < diskBytes);
        return new Geometry(catalog, extent / 4096, extent, diskBytes);
    }

    /** 512-byte blocks the bitmap occupies at the start of each extent (at least one). */
    public long bitmapBlocks() {
        return 1 + (bitmapBytes - 1) / HeaderLayout.SECTOR;
    }

    /** 512-byte blocks of sector data in each extent. */
    public long extentBlocks() {
        return 1 + (extentBytes - 1) / HeaderLayout.SECTOR;
    }

    /** Bytes from one physical extent to the next: bitmap blocks plus data blocks. */
    public long strideBytes() {
        return Math.multiplyExact(Math.addExact(bitmapBlocks(), extentBlocks()), HeaderLayout.SECTOR);
    }

    /** Where physical extent 0 starts: right after the catalog (Bochs counts from 512, not the header field). */
    public long dataOffset() {
        return Math.addExact(HeaderLayout.SIZE, Math.multiplyExact(4L, catalogEntries));
    }

    public long sectorsPerExtent() {
        return extentBytes / HeaderLayout.SECTOR;
    }

    /** The readable size: the disk size rounded down to whole sectors, as qemu and Bochs address it. */
    public long virtualSize() {
        return diskBytes - diskBytes % HeaderLayout.SECTOR;
    }

    /** Catalog entries the disk actually uses; later ones are never consulted (B21). */
    public long usedEntries() {
        long size = virtualSize();
        return size / extentBytes + (size % extentBytes == 0 ? 0 : 1);
    }

    /** The file offset of physical extent {@code p}; throws ArithmeticException past 2^63. */
    public long extentStart(long physical) {
        return Math.addExact(dataOffset(), Math.multiplyExact(physical, strideBytes()));
    }

    /** Bitmap bytes that describe the extent's sectors; bits past them are ignored (B23). */
    public int bitmapBytesUsed() {
        return (int) ((sectorsPerExtent() + 7) / 8);
    }
}
