package dev.nbdref.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryDeviceTest extends BlockDeviceContractTest {
    private static final long TIB = 1L << 40;
    private static final int PAGE = MemoryDevice.PAGE_SIZE;

    @Override BlockDevice create(long size) { return new MemoryDevice(size); }

    @Override BlockDevice createReadOnly(long size) { return new MemoryDevice(size, true); }

    @Override boolean reportsHoles() { return true; }

    @Override boolean trimZeroes() { return true; }

    @Override boolean fastZero() { return true; }

    @Test
    void capabilitiesDescribeAVolatileSparseDevice() {
        DeviceCapabilities caps = new MemoryDevice(MIB).capabilities();
        assertEquals(new DeviceCapabilities(false, true, true, false, true, false, 1), caps);
        assertTrue(new MemoryDevice(MIB, true).capabilities().readOnly());
    }

    @Test
    void aTerabyteDeviceCostsOnlyTheWrittenPages() throws Exception {
        MemoryDevice dev = new MemoryDevice(TIB);
        byte[] head = Patterns.counting(10, 1);
        byte[] tail = Patterns.counting(10, 2);
        dev.write(TIB / 2, ByteBuffer.wrap(head), false);
        dev.write(TIB - 10, ByteBuffer.wrap(tail), false);
        assertEquals(2, dev.allocatedPages());
        assertArrayEquals(head, read(dev, TIB / 2, 10));
        assertArrayEquals(tail, read(dev, TIB - 10, 10));
        assertArrayEquals(new byte[4096], read(dev, TIB / 4, 4096));
        assertEquals(List.of(Extent.hole(TIB / 2), Extent.data(PAGE), Extent.hole(TIB / 2 - 2 * PAGE), Extent.data(PAGE)),
                dev.extents(0, TIB, 10));
    }

    @Test
    void trimmingAHugeSparseRangeDropsOnlyWhatExists() throws Exception {
        MemoryDevice dev = new MemoryDevice(TIB);
        dev.write(3 * PAGE, ByteBuffer.wrap(Patterns.counting(PAGE, 1)), false);
        dev.write(TIB - PAGE, ByteBuffer.wrap(Patterns.counting(PAGE, 1)), false);
        dev.trim(0, TIB, false);
        assertEquals(0, dev.allocatedPages());
        assertEquals(List.of(Extent.hole(TIB)), dev.extents(0, TIB, 10));
    }

    @Test
    void partialTrimZeroesInPlaceAndKeepsThePage() throws Exception {
        MemoryDevice dev = new MemoryDevice(MIB);
        dev.write(0, ByteBuffer.wrap(Patterns.counting(PAGE, 1)), false);
        dev.trim(100, PAGE - 200, false);
        assertEquals(1, dev.allocatedPages());
        byte[] back = read(dev, 0, PAGE);
        assertArrayEquals(new byte[PAGE - 200], java.util.Arrays.copyOfRange(back, 100, PAGE - 100));
        assertEquals(Patterns.counting(PAGE, 1)[PAGE - 1], back[PAGE - 1]);
    }

    @Test
    void noHoleZeroingKeepsAllocatedPagesAndProvisionsNothingNew() throws Exception {
        MemoryDevice dev = new MemoryDevice(MIB);
        dev.write(PAGE, ByteBuffer.wrap(Patterns.counting(PAGE, 1)), false);
        dev.writeZeroes(0, 4 * PAGE, false, true, false);
        assertEquals(1, dev.allocatedPages(), "only the page that held data stays; zeroes cost no memory");
        assertEquals(List.of(Extent.hole(PAGE), Extent.allocatedZero(PAGE), Extent.hole(MIB - 2 * PAGE)),
                dev.extents(0, MIB, 10));
        assertArrayEquals(new byte[4 * PAGE], read(dev, 0, 4 * PAGE));
        dev.writeZeroes(0, 4 * PAGE, true, false, false);
        assertEquals(0, dev.allocatedPages(), "zeroing that may trim drops the page");
    }

    @Test
    void theLastExtentStopsAtAnUnalignedDeviceEnd() throws Exception {
        int size = 100_000;
        MemoryDevice dev = new MemoryDevice(size);
        dev.write(size - 1, ByteBuffer.wrap(new byte[] {9}), false);
        List<Extent> extents = dev.extents(0, size, 10);
        assertEquals(List.of(Extent.hole(PAGE), Extent.data(size - PAGE)), extents);
    }

    @Test
    void closeReleasesThePages() throws Exception {
        MemoryDevice dev = new MemoryDevice(MIB);
        dev.write(0, ByteBuffer.wrap(new byte[] {1}), false);
        dev.close();
        assertEquals(0, dev.allocatedPages());
    }

    @Test
    void rejectsImpossibleSizes() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryDevice(-1));
        assertThrows(IllegalArgumentException.class, () -> new MemoryDevice(Long.MAX_VALUE));
        assertFalse(new MemoryDevice(MemoryDevice.MAX_SIZE).capabilities().readOnly());
    }
}
