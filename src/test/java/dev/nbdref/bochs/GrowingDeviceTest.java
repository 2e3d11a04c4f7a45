package dev.nbdref.bochs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.block.Extent;
import dev.nbdref.block.FastZeroUnsupportedException;
import dev.nbdref.block.NoSpaceException;
import dev.nbdref.block.ReadOnlyDeviceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Growing image as a block device: Bochs' allocation semantics, trims, extents and many writers at once. */
class GrowingDeviceTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path created(String name, long size) throws IOException {
        Path file = dir.resolve(name);
        BochsCreator.create(file, size);
        return file;
    }

    private static byte[] read(GrowingDevice dev, long offset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        dev.read(offset, buf);
        return buf.array();
    }

    private static ByteBuffer filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return ByteBuffer.wrap(bytes);
    }

    @Test
    void freshImageIsOneHoleAndReadOnlyByDefault() throws IOException {
        Path file = created("fresh.img", 10 * MIB);
        assertEquals(512 + 4 * 1024, Files.size(file));
        try (GrowingDevice dev = GrowingDevice.open(file, true, ReadOptions.LENIENT)) {
            assertTrue(dev.capabilities().readOnly());
            assertEquals(List.of(Extent.hole(10 * MIB)), dev.extents(0, 10 * MIB, 16));
            assertThrows(ReadOnlyDeviceException.class, () -> dev.write(0, filled(512, 1), false));
            assertThrows(ReadOnlyDeviceException.class, () -> dev.trim(0, 512, false));
        }
    }

    @Test
    void writesAppendExtentsInFirstWriteOrderAndSetBits() throws IOException {
        Path file = created("w.img", 10 * MIB); // 16 KiB extents, 4-byte bitmaps
        try (GrowingDevice dev = GrowingDevice.open(file, false, ReadOptions.STRICT)) {
            dev.write(5 * 16384 + 1024, filled(1024, 0xaa), false);
            dev.write(100, filled(10, 0xbb), true); // partial sector at the start of extent 0
        }
        try (BochsImage image = BochsImage.open(file, ReadOptions.STRICT)) {
            assertEquals(0, image.catalog().physical(5));
            assertEquals(1, image.catalog().physical(0));
            assertEquals(image.geometry().extentStart(2), image.fileSize(), "two extents appended, nothing more");
            assertEquals(java.util.BitSet.valueOf(new byte[] {0x0c}), image.bitmaps().get(5, 0));
            assertEquals(java.util.BitSet.valueOf(new byte[] {0x01}), image.bitmaps().get(0, 1));
        }
        try (GrowingDevice dev = GrowingDevice.open(file, true, ReadOptions.STRICT)) {
            byte[] head = read(dev, 0, 512);
            for (int i = 0; i < 512; i++) assertEquals(i >= 100 && i < 110 ? (byte) 0xbb : 0, head[i], "byte " + i);
            assertArrayEquals(filled(1024, 0xaa).array(), read(dev, 5 * 16384 + 1024, 1024));
            assertEquals(List.of(Extent.data(512), Extent.hole(5 * 16384 + 1024 - 512), Extent.data(1024),
                    Extent.hole(10 * MIB - 5 * 16384 - 2048)), dev.extents(0, 10 * MIB, 16));
        }
    }

    @Test
    void trimClearsBitsAndZeroesPartialSectors() throws IOException {
        Path file = created("t.img", 4 * MIB); // 8 KiB extents
        try (GrowingDevice dev = GrowingDevice.open(file, false, ReadOptions.STRICT)) {
            dev.write(0, filled(32768, 0x5a), false);
            dev.trim(1000, 9000, false); // sector 1 partly, sectors 2..18 whole, sector 19 partly
            byte[] after = read(dev, 0, 32768);
            for (int i = 0; i < after.length; i++) {
                assertEquals(i >= 1000 && i < 10000 ? 0 : (byte) 0x5a, after[i], "byte " + i);
            }
            List<Extent> map = dev.extents(0, 32768, 16);
            // Sectors 1 and 19 were zeroed in place (still data); sectors 2..18 lost their bits (a hole).
            assertEquals(List.of(Extent.data(1024), Extent.hole(19 * 512 - 1024), Extent.data(32768 - 19 * 512)), map);
            dev.writeZeroes(0, 512, true, true, false); // may trim: a fast zero
            assertEquals(Extent.hole(512), dev.extents(0, 512, 1).get(0));
            assertThrows(FastZeroUnsupportedException.class, () -> dev.writeZeroes(512, 512, false, true, false));
            dev.writeZeroes(65536, 8192, false, false, false); // NO_HOLE: allocates zeroes
            assertEquals(Extent.data(8192), dev.extents(65536, 8192, 1).get(0));
            assertArrayEquals(new byte[8192], read(dev, 65536, 8192));
        }
        try (BochsDisk disk = BochsDisk.open(file, ReadOptions.STRICT)) {
            assertEquals(4 * MIB, disk.size());
        }
    }

    @Test
    void aFullCatalogIsNoSpace() throws IOException {
        // Two entries; virtual extent 0 already sits at physical 1 (physical 0 is a crash orphan),
        // so Bochs' next extent number is 2 and the catalog is full.
        TestImage image = new TestImage(new Geometry(2, 1, 4096, 8192));
        image.allocate(1, 0x11, 0);
        image.allocate(0, 0x22, 3);
        image.catalog[1] = HeaderLayout.UNALLOCATED;
        Path file = image.write(dir.resolve("full.img"));
        try (GrowingDevice dev = GrowingDevice.open(file, false, ReadOptions.STRICT)) {
            NoSpaceException e = assertThrows(NoSpaceException.class, () -> dev.write(4096, filled(512, 1), false));
            assertTrue(e.getMessage().contains("catalog is full"), e.getMessage());
            dev.write(0, filled(512, 0x33), false); // an allocated extent still takes writes
            assertEquals((byte) 0x33, read(dev, 0, 1)[0]);
            assertEquals((byte) 0x22, read(dev, 3 * 512, 1)[0]);
        }
    }

    @Test
    void orphanExtentsAreReusedAndTheirGarbageNeverShows() throws IOException {
        TestImage image = new TestImage(new Geometry(4, 1, 4096, 16384));
        image.allocate(0, 0x11, 0);
        image.allocate(1, 0x77, 0, 1, 2, 3, 4, 5, 6, 7); // becomes the orphan
        image.catalog[1] = HeaderLayout.UNALLOCATED;
        Path file = image.write(dir.resolve("orphan.img"));
        try (GrowingDevice dev = GrowingDevice.open(file, false, ReadOptions.STRICT)) {
            dev.write(3 * 4096 + 512, filled(512, 0x33), false);
            assertArrayEquals(new byte[512], read(dev, 3 * 4096, 512), "the orphan's bits and data were cleared");
            assertEquals(List.of(Extent.hole(512), Extent.data(512), Extent.hole(3072)), dev.extents(3 * 4096, 4096, 8));
        }
        try (BochsImage reopened = BochsImage.open(file, ReadOptions.STRICT)) {
            assertEquals(1, reopened.catalog().physical(3));
            assertEquals(reopened.geometry().extentStart(2), reopened.fileSize());
        }
    }

    @Test
    void redologsCannotBeOpenedWritable() throws IOException {
        TestImage image = new TestImage(new Geometry(4, 1, 4096, 16384));
        image.subtype = Subtype.UNDOABLE;
        Files.write(dir.resolve("b.raw"), new byte[16384]);
        Path file = image.write(dir.resolve("b.raw.redolog"));
        IOException e = assertThrows(IOException.class, () -> BochsDevices.open(file, false));
        assertTrue(e.getMessage().contains("Growing"), e.getMessage());
        assertTrue(BochsDevices.open(file, true) instanceof RedologDevice);
    }

    @Test
    void aWritableImageMustBeStrictlyValid() throws IOException {
        TestImage image = new TestImage(new Geometry(4, 1, 4096, 16384));
        image.allocate(0, 0x11, 0);
        image.catalog[2] = image.catalog[0];
        Path file = image.write(dir.resolve("alias.img"));
        BochsFormatException e = assertThrows(BochsFormatException.class,
                () -> GrowingDevice.open(file, false, ReadOptions.LENIENT));
        assertEquals(BochsRule.B20, e.rule());
        GrowingDevice.open(file, true, ReadOptions.LENIENT).close();
    }

    @Test
    void concurrentWritersAndReadersNeverSeeForeignBytes() throws Exception {
        Path file = created("c.img", 8 * MIB); // 8 KiB extents
        int writers = 8;
        int chunk = 3000; // straddles sectors and extents
        try (GrowingDevice dev = GrowingDevice.open(file, false, ReadOptions.STRICT)) {
            ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
            List<Future<?>> jobs = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int id = w;
                jobs.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        long offset = (long) (i * writers + id) * chunk;
                        dev.write(offset, filled(chunk, 1 + id), false);
                    }
                    return null;
                }));
            }
            for (int r = 0; r < 2; r++) {
                jobs.add(pool.submit(() -> {
                    Random random = new Random(7);
                    for (int i = 0; i < 500; i++) {
                        long slot = random.nextInt(200 * writers);
                        byte[] got = read(dev, slot * chunk, chunk);
                        byte mine = (byte) (1 + slot % writers);
                        for (byte b : got) {
                            // A read racing a write may see some sectors old (zero) and some new, nothing else.
                            if (b != 0 && b != mine) throw new AssertionError("foreign byte " + b + " at slot " + slot);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> job : jobs) job.get();
            pool.shutdown();
            for (long slot = 0; slot < 200L * writers; slot++) {
                assertArrayEquals(filled(chunk, 1 + (int) (slot % writers)).array(), read(dev, slot * chunk, chunk));
            }
        }
        try (BochsImage image = BochsImage.open(file, ReadOptions.STRICT)) {
            long used = (200L * writers * chunk + 8191) / 8192;
            assertEquals(used, image.allocatedExtents());
            assertFalse(image.notes().iterator().hasNext());
        }
    }
}
