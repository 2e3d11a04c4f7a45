package dev.nbdref.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.bitmap.DirtyBitmap.DirtyRun;
import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.DeviceCapabilities;
import dev.nbdref.block.Extent;
import dev.nbdref.block.LayeredDevice;
import dev.nbdref.block.MemoryDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decorator marks every kind of change, before the device sees it, and passes everything else through. */
class DirtyTrackingDeviceTest {
    private static final long K64 = 65536;
    private static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    @Test
    void writeZeroesAndTrimMarkReadsAndFlushesDoNot() throws IOException {
        BitmapSet set = new BitmapSet(SIZE);
        set.add("b0", K64, true);
        set.add("off", K64, false);
        DirtyTrackingDevice device = DirtyTrackingDevice.wrap(new MemoryDevice(SIZE), set);
        device.write(10, ByteBuffer.allocate(100), false);
        device.writeZeroes(3 * K64, K64 + 1, true, false, false);
        device.trim(SIZE - 1, 1, false);
        device.read(8 * K64, ByteBuffer.allocate(4096));
        device.cache(9 * K64, 4096);
        device.flush();
        device.extents(0, SIZE, 10);
        assertEquals(List.of(new DirtyRun(K64, true), new DirtyRun(2 * K64, false), new DirtyRun(2 * K64, true),
                new DirtyRun(SIZE - 6 * K64, false), new DirtyRun(K64, true)), runs(set, "b0"));
        assertEquals(List.of(new DirtyRun(SIZE, false)), runs(set, "off"), "a disabled bitmap records nothing");
    }

    @Test
    void theMarkLandsBeforeTheDeviceSeesTheWrite() throws IOException {
        BitmapSet set = new BitmapSet(SIZE);
        set.add("b0", K64, true);
        List<Boolean> dirtyWhenDeviceCalled = new ArrayList<>();
        BlockDevice spy = new Probe(new MemoryDevice(SIZE),
                () -> dirtyWhenDeviceCalled.add(runs(set, "b0").get(0).dirty()));
        DirtyTrackingDevice device = DirtyTrackingDevice.wrap(spy, set);
        device.write(0, ByteBuffer.allocate(1), false);
        set.clear("b0");
        device.writeZeroes(0, 1, true, false, false);
        set.clear("b0");
        device.trim(0, 1, false);
        assertEquals(List.of(true, true, true), dirtyWhenDeviceCalled);
    }

    @Test
    void aFailedWriteStaysMarked() throws IOException {
        BitmapSet set = new BitmapSet(SIZE);
        set.add("b0", K64, true);
        BlockDevice failing = new Probe(new MemoryDevice(SIZE), () -> {
            throw new IOException("disk on fire");
        });
        DirtyTrackingDevice device = DirtyTrackingDevice.wrap(failing, set);
        assertThrows(IOException.class, () -> device.write(K64, ByteBuffer.allocate(1), false));
        assertTrue(((InMemoryBitmap) set.find("b0").orElseThrow()).isDirty(1),
                "the write may have reached the disk partly: over-marking is the safe side");
    }

    @Test
    void readOnlyDevicesAreNotMarked() throws IOException {
        BitmapSet set = new BitmapSet(SIZE);
        set.add("b0", K64, true);
        DirtyTrackingDevice device = DirtyTrackingDevice.wrap(new MemoryDevice(SIZE, true), set);
        assertThrows(IOException.class, () -> device.write(0, ByteBuffer.allocate(1), false));
        assertEquals(List.of(new DirtyRun(SIZE, false)), runs(set, "b0"));
    }

    @Test
    void layeredDevicesStayLayered() throws IOException {
        BitmapSet set = new BitmapSet(SIZE);
        BlockDevice device = DirtyTrackingDevice.wrap(new Layers(new MemoryDevice(SIZE)), set);
        LayeredDevice layered = assertInstanceOf(LayeredDevice.class, device);
        assertEquals(List.of(new LayeredDevice.DepthRun(SIZE, 2)), layered.allocationDepth(0, SIZE, 10));
        assertFalse(DirtyTrackingDevice.wrap(new MemoryDevice(SIZE), set) instanceof LayeredDevice);
    }

    @Test
    void sizesMustMatch() {
        assertThrows(IllegalArgumentException.class,
                () -> DirtyTrackingDevice.wrap(new MemoryDevice(SIZE), new BitmapSet(SIZE + 1)));
    }

    /** After the store saved the bits for shutdown, a write is refused: done, it would be missing from them. */
    @Test
    void closingSavesTheStoreAndLaterWritesAreRefused() throws IOException {
        Path image = dir.resolve("disk.raw");
        Files.write(image, new byte[(int) SIZE]);
        BitmapStore store = BitmapStore.openForServer(image, SIZE);
        store.bitmaps().add("b0", K64, true);
        DirtyTrackingDevice device = DirtyTrackingDevice.wrap(new MemoryDevice(SIZE), store);
        device.write(0, ByteBuffer.allocate(1), false);
        BitmapSet set = device.bitmaps();
        set.markWrite(K64, 1);
        device.close();
        assertThrows(BitmapsClosedException.class, () -> set.markWrite(0, 1));
        try (BitmapStore reopened = BitmapStore.openForServer(image, SIZE)) {
            assertFalse(reopened.recoveredDirty());
            assertEquals(List.of(new DirtyRun(2 * K64, true), new DirtyRun(SIZE - 2 * K64, false)),
                    runs(reopened.bitmaps(), "b0"));
        }
    }

    private static List<DirtyRun> runs(BitmapSet set, String name) {
        return set.find(name).orElseThrow().runs(0, SIZE, 100);
    }

    private interface Hook {
        void call() throws IOException;
    }

    /** Runs a hook whenever a change reaches the device. */
    private static class Probe implements BlockDevice {
        final BlockDevice inner;
        final Hook hook;

        Probe(BlockDevice inner, Hook hook) {
            this.inner = inner;
            this.hook = hook;
        }

        public long size() { return inner.size(); }

        public DeviceCapabilities capabilities() { return inner.capabilities(); }

        public void read(long offset, ByteBuffer dst) throws IOException { inner.read(offset, dst); }

        public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
            hook.call();
            inner.write(offset, src, fua);
        }

        public void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua)
                throws IOException {
            hook.call();
            inner.writeZeroes(offset, length, mayTrim, fastOnly, fua);
        }

        public void trim(long offset, long length, boolean fua) throws IOException {
            hook.call();
            inner.trim(offset, length, fua);
        }

        public void flush() throws IOException { inner.flush(); }

        public List<Extent> extents(long offset, long length, int max) throws IOException {
            return inner.extents(offset, length, max);
        }

        public void close() throws IOException { inner.close(); }
    }

    /** A device whose every byte is in the base layer. */
    private static final class Layers extends Probe implements LayeredDevice {
        Layers(BlockDevice inner) {
            super(inner, () -> { });
        }

        public List<DepthRun> allocationDepth(long offset, long length, int maxRuns) {
            return List.of(new DepthRun(length, 2));
        }
    }
}
