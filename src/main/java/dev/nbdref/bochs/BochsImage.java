package dev.nbdref.bochs;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * One open redolog file: its validated header, its catalog and its bitmaps, and the mapping from virtual
 * offsets to {@link Span}s. What an absent span reads as (zeroes or a base image) is the caller's business,
 * see {@link BochsDisk}.
 *
 * <p>Opening validates everything the rules ask for before anything sized by the file is allocated: first
 * the 512-byte header, then the catalog (at most 4 MiB), then the entries. Bitmaps are read on demand.
 */
public final class BochsImage implements Closeable {
    private final Path path;
    private final FileChannel channel;
    private final ParsedHeader parsed;
    private final Geometry geometry;
    private final Catalog catalog;
    private final BitmapCache bitmaps;
    private final long fileSize;
    private final List<String> notes;

    private BochsImage(Path path, FileChannel channel, ParsedHeader parsed, Catalog catalog, long fileSize,
                       List<String> notes) {
        this.path = path;
        this.channel = channel;
        this.parsed = parsed;
        this.geometry = parsed.header().geometry();
        this.catalog = catalog;
        this.bitmaps = new BitmapCache(channel, geometry, fileSize);
        this.fileSize = fileSize;
        this.notes = List.copyOf(notes);
    }

    /** Opens an image read-only. Throws {@link BochsFormatException} when it breaks a rule of {@code options}. */
    public static BochsImage open(Path path, ReadOptions options) throws IOException {
        return open(path, options, false);
    }

    static BochsImage open(Path path, ReadOptions options, boolean writable) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "no such file");
        if (!Files.readAttributes(path, BasicFileAttributes.class).isRegularFile()) {
            throw new IOException(path + " is not a regular file");
        }
        FileChannel channel = writable
                ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(path, StandardOpenOption.READ);
        try {
            return read(path, channel, options);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static BochsImage read(Path path, FileChannel channel, ReadOptions options) throws IOException {
        long fileSize = channel.size();
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(HeaderLayout.SIZE, fileSize));
        ImageIo.readFully(channel, head, 0);
        ParsedHeader parsed = HeaderParser.parse(head.flip(), fileSize, options);
        List<String> notes = new ArrayList<>(parsed.notes());
        Catalog catalog = Catalog.load(channel, parsed.header().geometry(), fileSize, options, notes);
        return new BochsImage(path, channel, parsed, catalog, fileSize, notes);
    }

    public Path path() {
        return path;
    }

    public BochsHeader header() {
        return parsed.header();
    }

    public Geometry geometry() {
        return geometry;
    }

    /** What lenient mode tolerated while opening, one sentence each, with the rule ID. */
    public List<String> notes() {
        return notes;
    }

    /** The readable size in bytes (the disk size rounded down to whole sectors). */
    public long size() {
        return geometry.virtualSize();
    }

    public long fileSize() {
        return fileSize;
    }

    /** Virtual extents the catalog maps to a physical extent. */
    public long allocatedExtents() {
        return catalog.allocatedCount(geometry);
    }

    FileChannel channel() {
        return channel;
    }

    Catalog catalog() {
        return catalog;
    }

    BitmapCache bitmaps() {
        return bitmaps;
    }

    /** B22: a read must lie inside the virtual disk. */
    void checkRange(long offset, long length) throws BochsFormatException {
        long size = size();
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw BochsRule.B22.error("range [" + offset + ", +" + length + ") is outside the " + size
                    + "-byte disk");
        }
    }

    /**
     * The span that starts at {@code offset} (inside the disk): it ends at the first change of state, at
     * the end of the extent, or after {@code maxLength} bytes, whichever comes first.
     */
    Span span(long offset, long maxLength) throws IOException {
        long extent = geometry.extentBytes();
        long index = offset / extent;
        long within = offset % extent;
        long limit = Math.min(maxLength, extent - within);
        long physical = catalog.physical(index);
        if (physical < 0) return Span.absent(limit);
        BitSet bits = bitmaps.get(index, physical);
        int sector = (int) (within / HeaderLayout.SECTOR);
        boolean present = bits.get(sector);
        int sectors = (int) geometry.sectorsPerExtent();
        int change = present ? bits.nextClearBit(sector) : bits.nextSetBit(sector);
        if (change < 0 || change > sectors) change = sectors;
        long length = Math.min(limit, (long) change * HeaderLayout.SECTOR - within);
        return present ? Span.present(length, dataOffset(physical, within)) : Span.absent(length);
    }

    /** Fills {@code dst} with the bytes of a present span (missing file bytes read as zeroes). */
    void readPresent(Span span, ByteBuffer dst) throws IOException {
        ImageIo.readOrZero(channel, dst, span.fileOffset());
    }

    /** Where the byte {@code within} of physical extent {@code physical}'s data lives in the file. */
    long dataOffset(long physical, long within) {
        try {
            long bitmapArea = geometry.bitmapBlocks() * HeaderLayout.SECTOR;
            return Math.addExact(Math.addExact(geometry.extentStart(physical), bitmapArea), within);
        } catch (ArithmeticException beyondAnyFile) {
            return Span.NOWHERE;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
