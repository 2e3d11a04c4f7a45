package dev.nbdref.bochs;

import dev.nbdref.block.DeviceCapabilities;
import dev.nbdref.block.Extent;
import dev.nbdref.block.LayeredDevice;
import dev.nbdref.block.ReadOnlyDeviceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An Undoable or Volatile redolog over its flat base, read-only. Sectors whose bit is set come from the
 * redolog (allocation depth 1), the rest from the base (depth 2). The flat base is fully allocated, so
 * base:allocation reports data everywhere.
 */
public final class RedologDevice implements LayeredDevice {
    private final BochsDisk disk;

    private RedologDevice(BochsDisk disk) {
        this.disk = disk;
    }

    /** Opens a redolog; {@code base} null finds the base by Bochs' naming (BASE.redolog). */
    public static RedologDevice open(Path redolog, Path base, ReadOptions options) throws IOException {
        return over(BochsDisk.open(redolog, base, options));
    }

    /** Wraps an open redolog with its base; takes ownership of it. */
    static RedologDevice over(BochsDisk disk) throws IOException {
        if (!disk.hasBase()) {
            disk.close();
            throw new IOException(disk.image().path() + " is a Growing image, not a redolog");
        }
        return new RedologDevice(disk);
    }

    @Override
    public long size() {
        return disk.size();
    }

    @Override
    public DeviceCapabilities capabilities() {
        return new DeviceCapabilities(true, false, false, false, true, false, 1);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange(offset, dst.remaining());
        disk.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        throw readOnly();
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua)
            throws IOException {
        throw readOnly();
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        throw readOnly();
    }

    @Override
    public void flush() {
        // Nothing is ever written.
    }

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) {
        checkQuery(offset, length, maxExtents);
        return List.of(Extent.data(length));
    }

    @Override
    public List<DepthRun> allocationDepth(long offset, long length, int maxRuns) throws IOException {
        checkQuery(offset, length, maxRuns);
        RunList runs = new RunList(maxRuns);
        disk.visitSpans(offset, length, (pos, span) -> runs.add(span.length(), span.isPresent() ? 1 : 2));
        List<DepthRun> out = new ArrayList<>();
        runs.forEach((len, depth) -> out.add(new DepthRun(len, depth)));
        return out;
    }

    @Override
    public void close() throws IOException {
        disk.close();
    }

    private ReadOnlyDeviceException readOnly() {
        return new ReadOnlyDeviceException(disk.image().path() + " is a redolog, served read-only");
    }

    private void checkQuery(long offset, long length, int max) {
        checkRange(offset, length);
        if (length == 0 || max < 1) {
            throw new IllegalArgumentException("query needs a length and room for one run");
        }
    }

    private void checkRange(long offset, long length) {
        long size = size();
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") outside device of "
                    + size + " bytes");
        }
    }
}
