package dev.nbdref.model;

import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.DeviceCapabilities;
import dev.nbdref.block.Extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/** Passes every call to another device; a broken variant overrides the one call it gets wrong. */
abstract class ForwardingDevice implements BlockDevice {
    protected final BlockDevice inner;

    ForwardingDevice(BlockDevice inner) {
        this.inner = inner;
    }

    @Override public long size() { return inner.size(); }

    @Override public DeviceCapabilities capabilities() { return inner.capabilities(); }

    @Override public void read(long offset, ByteBuffer dst) throws IOException { inner.read(offset, dst); }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        inner.write(offset, src, fua);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua)
            throws IOException {
        inner.writeZeroes(offset, length, mayTrim, fastOnly, fua);
    }

    @Override public void trim(long offset, long length, boolean fua) throws IOException { inner.trim(offset, length, fua); }

    @Override public void flush() throws IOException { inner.flush(); }

    @Override public void cache(long offset, long length) throws IOException { inner.cache(offset, length); }

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) throws IOException {
        return inner.extents(offset, length, maxExtents);
    }

    @Override public void close() throws IOException { inner.close(); }
}
