package dev.nbdref.bitmap;

import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.DeviceCapabilities;
import dev.nbdref.block.Extent;
import dev.nbdref.block.LayeredDevice;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A device that records every change in its export's dirty bitmaps: WRITE, WRITE_ZEROES and TRIM mark the
 * granules they touch in every enabled bitmap, then go to the device underneath; everything else passes through.
 *
 * <p>Each change is marked twice. Before the device sees it, so no crash and no BLOCK_STATUS that follows the
 * reply can miss it. And again after the device returns, so a bitmap added or cleared while the change was in
 * flight still records it: any change that completes after a management operation shows in the bitmaps as they
 * are after that operation (this is what makes "add a new bitmap, then back up from the old one" lose nothing).
 * The second mark costs a read of words that are already set.
 *
 * <p>Read-only devices are not marked: every change to them fails. Use {@link #wrap} so a {@link LayeredDevice}
 * stays layered.
 */
public class DirtyTrackingDevice implements BlockDevice {
    private final BlockDevice inner;
    private final BitmapSet bitmaps;
    private final Closeable store;
    private final boolean readOnly;

    DirtyTrackingDevice(BlockDevice inner, BitmapSet bitmaps, Closeable store) {
        if (bitmaps.deviceSize() != inner.size()) {
            throw new IllegalArgumentException("bitmaps for " + bitmaps.deviceSize() + " bytes on a device of "
                    + inner.size());
        }
        this.inner = inner;
        this.bitmaps = bitmaps;
        this.store = store;
        this.readOnly = inner.capabilities().readOnly();
    }

    /** Tracks changes of {@code inner} in non-persistent {@code bitmaps} (a memory export). */
    public static DirtyTrackingDevice wrap(BlockDevice inner, BitmapSet bitmaps) {
        return inner instanceof LayeredDevice ? new Layered((LayeredDevice) inner, bitmaps, null)
                : new DirtyTrackingDevice(inner, bitmaps, null);
    }

    /**
     * Tracks changes of {@code inner} in the store's bitmaps; {@link #close()} closes the device, then the store,
     * so the in-use flag is cleared only after the last write and flush.
     */
    public static DirtyTrackingDevice wrap(BlockDevice inner, BitmapStore store) {
        return inner instanceof LayeredDevice ? new Layered((LayeredDevice) inner, store.bitmaps(), store)
                : new DirtyTrackingDevice(inner, store.bitmaps(), store);
    }

    public BitmapSet bitmaps() {
        return bitmaps;
    }

    public BlockDevice inner() {
        return inner;
    }

    @Override
    public long size() {
        return inner.size();
    }

    @Override
    public DeviceCapabilities capabilities() {
        return inner.capabilities();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        inner.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        long length = src.remaining();
        mark(offset, length);
        inner.write(offset, src, fua);
        mark(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua)
            throws IOException {
        // A refused FAST_ZERO leaves a marked granule unchanged: a backup copies it needlessly, which is safe.
        mark(offset, length);
        inner.writeZeroes(offset, length, mayTrim, fastOnly, fua);
        mark(offset, length);
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        mark(offset, length);
        inner.trim(offset, length, fua);
        mark(offset, length);
    }

    @Override
    public void flush() throws IOException {
        inner.flush();
    }

    @Override
    public void cache(long offset, long length) throws IOException {
        inner.cache(offset, length);
    }

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) throws IOException {
        return inner.extents(offset, length, maxExtents);
    }

    /** Closes the device, then saves and unlocks the store (if any) even when the device fails to close. */
    @Override
    public void close() throws IOException {
        try {
            inner.close();
        } finally {
            if (store != null) store.close();
        }
    }

    private void mark(long offset, long length) throws BitmapsClosedException {
        if (!readOnly) bitmaps.markWrite(offset, length);
    }

    /** The same for a layered device, which keeps reporting its allocation depth. */
    private static final class Layered extends DirtyTrackingDevice implements LayeredDevice {
        private final LayeredDevice layered;

        Layered(LayeredDevice inner, BitmapSet bitmaps, Closeable store) {
            super(inner, bitmaps, store);
            this.layered = inner;
        }

        @Override
        public List<DepthRun> allocationDepth(long offset, long length, int maxRuns) throws IOException {
            return layered.allocationDepth(offset, length, maxRuns);
        }
    }
}
