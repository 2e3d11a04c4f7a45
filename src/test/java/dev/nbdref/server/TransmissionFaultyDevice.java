package dev.nbdref.server;

import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.DeviceCapabilities;
import dev.nbdref.block.Extent;
import dev.nbdref.block.FastZeroUnsupportedException;
import dev.nbdref.block.MemoryDevice;
import dev.nbdref.block.NoSpaceException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A memory device with injectable failures, for the transmission error paths: reads or writes touching a bad
 * range fail with EIO (or ENOSPC for writes when {@link #noSpace} is set), flush and extents can fail, and
 * fast zeroing can be unsupported. Failing calls change nothing.
 */
final class TransmissionFaultyDevice implements BlockDevice {
    private final MemoryDevice inner;
    volatile long badFrom = -1;
    volatile long badTo = -1;
    volatile boolean noSpace;
    volatile boolean failFlush;
    volatile boolean failExtents;
    volatile boolean fastZeroUnsupported;

    TransmissionFaultyDevice(long size) { inner = new MemoryDevice(size); }

    /** Reads and writes touching [from, to) fail from now on. */
    void failRange(long from, long to) {
        badFrom = from;
        badTo = to;
    }

    private boolean bad(long offset, long length) { return offset < badTo && offset + length > badFrom; }

    @Override public long size() { return inner.size(); }

    @Override public DeviceCapabilities capabilities() { return inner.capabilities(); }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        if (bad(offset, dst.remaining())) throw new IOException("injected read error");
        inner.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        if (bad(offset, src.remaining())) {
            if (noSpace) throw new NoSpaceException("injected: No space left on device", null);
            throw new IOException("injected write error");
        }
        inner.write(offset, src, fua);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua)
            throws IOException {
        if (fastOnly && fastZeroUnsupported) throw new FastZeroUnsupportedException("injected: zeroing is slow here");
        if (bad(offset, length)) throw new IOException("injected zero error");
        inner.writeZeroes(offset, length, mayTrim, false, fua);
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        if (bad(offset, length)) throw new IOException("injected trim error");
        inner.trim(offset, length, fua);
    }

    @Override
    public void flush() throws IOException {
        if (failFlush) throw new IOException("injected flush error");
        inner.flush();
    }

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) throws IOException {
        if (failExtents) throw new IOException("injected extents error");
        return inner.extents(offset, length, maxExtents);
    }

    @Override public void close() { inner.close(); }
}
