package dev.nbdref.bochs;

import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.DeviceCapabilities;
import dev.nbdref.block.Extent;
import dev.nbdref.block.FastZeroUnsupportedException;
import dev.nbdref.block.ReadOnlyDeviceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Growing image as a block device ({@code bochs:PATH}). Read-only unless opened writable; a writable
 * device allocates extents and sets bitmap bits exactly as Bochs does, so Bochs, bximage and qemu read the
 * result. Allocation shows in base:allocation: unallocated extents and clear bits are holes that read as zeroes.
 */
public final class GrowingDevice implements BlockDevice {
    private final BochsDisk disk;
    private final ExtentWriter writer;

    private GrowingDevice(BochsDisk disk, ExtentWriter writer) {
        this.disk = disk;
        this.writer = writer;
    }

    /**
     * Opens a Growing image. A writable image must pass every strict rule: writing into an image whose
     * extents alias or leave the file would spread the damage.
     */
    public static GrowingDevice open(Path path, boolean readOnly, ReadOptions options) throws IOException {
        BochsImage image = BochsImage.open(path, readOnly ? options : ReadOptions.STRICT, !readOnly);
        try {
            return over(image, !readOnly);
        } catch (IOException | RuntimeException e) {
            image.close();
            throw e;
        }
    }

    /** Wraps an open Growing image (opened writable when {@code writable}); takes ownership of it. */
    static GrowingDevice over(BochsImage image, boolean writable) throws IOException {
        if (image.header().subtype() != Subtype.GROWING) {
            throw new IOException(image.path() + " is a " + image.header().subtype().text()
                    + " redolog: only Growing images can be " + (writable ? "written" : "read alone"));
        }
        return new GrowingDevice(BochsDisk.over(image, null), writable ? new ExtentWriter(image) : null);
    }

    @Override
    public long size() {
        return disk.size();
    }

    /** Clearing bits is how this format deallocates, so trim and fast zero work whenever writes do. */
    @Override
    public DeviceCapabilities capabilities() {
        boolean rw = writer != null;
        return new DeviceCapabilities(!rw, rw, rw, rw, true, false, 1);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange(offset, dst.remaining());
        disk.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        requireWritable();
        checkRange(offset, src.remaining());
        writer.write(offset, src);
        if (fua) flush();
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua)
            throws IOException {
        requireWritable();
        checkRange(offset, length);
        if (mayTrim) {
            writer.deallocate(offset, length);
        } else if (fastOnly) {
            throw new FastZeroUnsupportedException("keeping zeroed sectors allocated means writing zeroes");
        } else {
            writer.writeZeroes(offset, length);
        }
        if (fua) flush();
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        requireWritable();
        checkRange(offset, length);
        writer.deallocate(offset, length);
        if (fua) flush();
    }

    @Override
    public void flush() throws IOException {
        if (writer != null) disk.image().channel().force(false);
    }

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) throws IOException {
        checkRange(offset, length);
        if (length == 0 || maxExtents < 1) {
            throw new IllegalArgumentException("extents query needs a length and room for one extent");
        }
        RunList runs = new RunList(maxExtents);
        disk.visitSpans(offset, length, (pos, span) -> runs.add(span.length(), span.isPresent() ? 1 : 0));
        List<Extent> out = new ArrayList<>();
        runs.forEach((len, present) -> out.add(present == 1 ? Extent.data(len) : Extent.hole(len)));
        return out;
    }

    @Override
    public void close() throws IOException {
        disk.close();
    }

    private void checkRange(long offset, long length) {
        long size = size();
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") outside device of "
                    + size + " bytes");
        }
    }

    private void requireWritable() throws ReadOnlyDeviceException {
        if (writer == null) throw new ReadOnlyDeviceException(disk.image().path() + " is opened read-only");
    }
}
