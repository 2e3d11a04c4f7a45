package dev.nbdref.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.function.LongFunction;

/**
 * A device backed by a raw file ({@code file:/path}). Data moves through {@link FileChannel} positional
 * I/O, which lets requests run in parallel; holes go through {@link SparseFileOps} (native where possible)
 * so trim releases space, zeroing avoids writing, and extents show where the file is sparse.
 *
 * <p>The size is fixed at open. Every connection shares the kernel's page cache of the file, so a flush
 * from any connection makes every completed write durable.
 */
public final class FileDevice implements BlockDevice {
    /** The most one read or write call moves from a heap buffer (see {@link #piece}). */
    static final int IO_PIECE = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final SparseFileOps holes;
    private final long size;
    private final boolean readOnly;
    private final boolean rotational;
    /** Data runs SEEK_HOLE found; forgotten after each deallocation. */
    private final DataRunCache knownData = new DataRunCache();

    private FileDevice(Path path, FileChannel channel, SparseFileOps holes, long size, boolean readOnly) {
        this.path = path;
        this.channel = channel;
        this.holes = holes;
        this.size = size;
        this.readOnly = readOnly;
        this.rotational = RotationalProbe.isRotational(path);
    }

    /** Opens an existing regular file; its current length becomes the device size. */
    public static FileDevice open(Path path, boolean readOnly) throws IOException {
        return open(path, readOnly, size -> LinuxFileOps.open(path, readOnly, size)
                .orElseGet(() -> new NoSparseFileOps(size)));
    }

    /** Opens without native hole support, as on a platform without it; lets tests reach the fallbacks. */
    static FileDevice openWithoutHoleSupport(Path path, boolean readOnly) throws IOException {
        return open(path, readOnly, NoSparseFileOps::new);
    }

    private static FileDevice open(Path path, boolean readOnly, LongFunction<SparseFileOps> holesFactory)
            throws IOException {
        // Anything but a regular file (a FIFO, a directory) would hang or report a meaningless size;
        // reading the attributes also reports a missing file as NoSuchFileException.
        if (!Files.readAttributes(path, BasicFileAttributes.class).isRegularFile()) {
            throw new IOException(path + " is not a regular file");
        }
        FileChannel channel = readOnly
                ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long size = channel.size();
            return new FileDevice(path, channel, holesFactory.apply(size), size, readOnly);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public long size() {
        return size;
    }

    /** Read on every call: a hole operation the file system refuses later turns its capability off. */
    @Override
    public DeviceCapabilities capabilities() {
        boolean canTrim = !readOnly && holes.canPunchHoles();
        boolean canFastZero = !readOnly && (holes.canPunchHoles() || holes.canZeroRange());
        return new DeviceCapabilities(readOnly, canTrim, canFastZero, true, true, rotational, 1);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        Ranges.check(offset, dst.remaining(), size);
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(piece(dst), pos);
            if (n > 0) dst.position(dst.position() + n);
            if (n < 0) {
                // The file shrank under us (someone else truncated it): missing bytes read as zeroes.
                Zeroes.put(dst, dst.remaining());
                return;
            }
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        requireWritable();
        Ranges.check(offset, src.remaining(), size);
        try {
            long pos = offset;
            while (src.hasRemaining()) {
                int n = channel.write(piece(src), pos);
                src.position(src.position() + n);
                pos += n;
            }
        } catch (IOException e) {
            throw IoErrors.classify(e);
        }
        if (fua) flush();
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua)
            throws IOException {
        requireWritable();
        Ranges.check(offset, length, size);
        boolean zeroed;
        try {
            zeroed = length == 0 || zeroWithoutWriting(offset, length, mayTrim);
        } finally {
            knownData.forget(); // a punch or ZERO_RANGE may have turned data into a hole
        }
        if (!zeroed) {
            if (fastOnly) {
                throw new FastZeroUnsupportedException("zeroing " + path + " here needs writing zeroes");
            }
            writeZeroBuffers(offset, length);
        }
        if (fua) flush();
    }

    /**
     * At most {@link #IO_PIECE} bytes of {@code b} from its position, sharing its content. The JDK moves a heap
     * buffer through a temporary direct buffer as large as the transfer, and keeps one per thread, so a 32 MiB
     * WRITE would otherwise pin 32 MiB outside the heap on every worker thread that ever served one.
     */
    private static ByteBuffer piece(ByteBuffer b) {
        if (b.isDirect() || b.remaining() <= IO_PIECE) return b.duplicate();
        ByteBuffer p = b.duplicate();
        return p.limit(p.position() + IO_PIECE);
    }

    /** Trim punches a hole where the file system can (the range then reads as zeroes), else does nothing. */
    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        requireWritable();
        Ranges.check(offset, length, size);
        if (length > 0) {
            try {
                holes.punchHole(offset, length);
            } finally {
                knownData.forget();
            }
        }
        if (fua) flush();
    }

    /** fdatasync: data and the metadata needed to read it back, which includes punched or allocated ranges. */
    @Override
    public void flush() throws IOException {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw IoErrors.classify(e);
        }
    }

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) throws IOException {
        Ranges.checkExtentsQuery(offset, length, maxExtents, size);
        return new FileExtentWalker(holes, knownData, offset + length).walk(offset, maxExtents);
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            holes.close();
        }
    }

    /**
     * Zeroes with the file system's help; false when only writing zeroes would do (nothing was changed).
     * Keeping the range allocated (NO_HOLE) prefers ZERO_RANGE, then a punch followed by re-allocation.
     */
    private boolean zeroWithoutWriting(long offset, long length, boolean mayTrim) throws IOException {
        if (mayTrim) return holes.punchHole(offset, length) || holes.zeroRange(offset, length);
        if (holes.zeroRange(offset, length)) return true;
        if (!holes.punchHole(offset, length)) return false;
        // The range already reads as zeroes; if it cannot be re-allocated natively, writing provisions it.
        if (!holes.allocate(offset, length)) writeZeroBuffers(offset, length);
        return true;
    }

    /** Writes zeroes in bounded chunks, so zeroing a huge range never allocates more than one chunk. */
    private void writeZeroBuffers(long offset, long length) throws IOException {
        try {
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                ByteBuffer zeroes = Zeroes.chunk((int) Math.min(end - pos, Zeroes.CHUNK));
                while (zeroes.hasRemaining()) {
                    pos += channel.write(zeroes, pos);
                }
            }
        } catch (IOException e) {
            throw IoErrors.classify(e);
        }
    }

    private void requireWritable() throws ReadOnlyDeviceException {
        if (readOnly) throw new ReadOnlyDeviceException(path + " is opened read-only");
    }
}
