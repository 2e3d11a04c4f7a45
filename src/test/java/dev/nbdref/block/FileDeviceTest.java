package dev.nbdref.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on a sparse file in the build machine's temp dir (ext4 there: SEEK_DATA and punch work). */
class FileDeviceTest extends BlockDeviceContractTest {
    @TempDir Path dir;
    private final AtomicInteger files = new AtomicInteger();

    @Override BlockDevice create(long size) throws IOException { return FileDevice.open(sparseFile(dir, size), false); }

    @Override BlockDevice createReadOnly(long size) throws IOException {
        return FileDevice.open(sparseFile(dir, size), true);
    }

    @Override boolean reportsHoles() { return true; }

    @Override boolean trimZeroes() { return true; }

    @Override boolean fastZero() { return true; }

    /** A new sparse file of {@code size} bytes, all hole. */
    Path sparseFile(Path in, long size) throws IOException {
        Path file = in.resolve("disk-" + files.incrementAndGet() + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    @Test
    void capabilitiesShowHoleSupportOnThisFileSystem() throws IOException {
        DeviceCapabilities caps = device(MIB).capabilities();
        assertTrue(caps.canTrim(), "punch hole works on the temp dir's file system");
        assertTrue(caps.canFastZero());
        assertTrue(caps.canFlush());
        assertTrue(caps.sharedCache());
        DeviceCapabilities readOnly = readOnlyDevice(MIB).capabilities();
        assertTrue(readOnly.readOnly());
        assertFalse(readOnly.canTrim());
    }

    @Test
    void sizeIsTheFileLengthAndWritesLandInTheFile() throws IOException {
        Path file = sparseFile(dir, 3 * MIB + 5);
        byte[] data = Patterns.counting(5000, 4);
        try (FileDevice dev = FileDevice.open(file, false)) {
            assertEquals(3 * MIB + 5, dev.size());
            dev.write(MIB - 100, ByteBuffer.wrap(data), true);
        }
        assertEquals(3 * MIB + 5, Files.size(file), "the file never grows");
        byte[] onDisk = new byte[5000];
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            raf.seek(MIB - 100);
            raf.readFully(onDisk);
        }
        assertArrayEquals(data, onDisk);
    }

    @Test
    void punchingPartOfABlockZeroesJustThatPart() throws IOException {
        BlockDevice dev = device(MIB);
        byte[] data = Patterns.counting(64 * KIB, 2);
        dev.write(0, ByteBuffer.wrap(data), false);
        dev.trim(1000, 10_000, false);
        java.util.Arrays.fill(data, 1000, 11_000, (byte) 0);
        assertArrayEquals(data, read(dev, 0, 64 * KIB));
        List<Extent> extents = dev.extents(0, MIB, 10);
        assertEquals(Extent.data(4096), extents.get(0), "the partial first block stays data");
        assertTrue(extents.get(1).hole(), "the whole blocks inside the range became a hole: " + extents);
    }

    @Test
    void readsPastAShrunkenFileReturnZeroes() throws IOException {
        Path file = sparseFile(dir, MIB);
        try (FileDevice dev = FileDevice.open(file, false)) {
            dev.write(0, ByteBuffer.wrap(Patterns.filled(MIB, 1)), false);
            try (FileChannel other = FileChannel.open(file, StandardOpenOption.WRITE)) {
                other.truncate(MIB / 2);
            }
            byte[] back = read(dev, MIB / 2 - 10, 20);
            assertArrayEquals(Patterns.filled(10, 1), java.util.Arrays.copyOf(back, 10));
            assertArrayEquals(new byte[10], java.util.Arrays.copyOfRange(back, 10, 20));
            List<Extent> tail = dev.extents(MIB / 2, MIB / 2, 4);
            assertEquals(List.of(Extent.hole(MIB / 2)), tail);
        }
    }

    @Test
    void openRefusesMissingFilesAndDirectories() {
        assertThrows(NoSuchFileException.class, () -> FileDevice.open(dir.resolve("absent.img"), false));
        assertThrows(IOException.class, () -> FileDevice.open(dir, true));
    }

    @Test
    void operationsAfterCloseFail() throws IOException {
        BlockDevice dev = FileDevice.open(sparseFile(dir, MIB), false);
        dev.close();
        assertThrows(IOException.class, () -> dev.read(0, ByteBuffer.allocate(1)));
        assertThrows(IOException.class, () -> dev.extents(0, MIB, 1));
        dev.close();
    }

    @Test
    void outOfSpaceMessagesBecomeNoSpaceException() {
        IOException full = new IOException("No space left on device");
        assertInstanceOf(NoSpaceException.class, IoErrors.classify(full));
        assertInstanceOf(NoSpaceException.class, IoErrors.classify(new IOException("Disk quota exceeded")));
        IOException other = new IOException("Input/output error");
        assertSame(other, IoErrors.classify(other));
    }

    /** tmpfs punches holes but has no ZERO_RANGE: NO_HOLE zeroing then punches and re-allocates. */
    @Test
    void noHoleZeroingWorksOnTmpfsWithoutZeroRange() throws IOException {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "needs a writable /dev/shm");
        Path tmpfsDir = Files.createTempDirectory(shm, "nbdref-block-test");
        Path file = sparseFile(tmpfsDir, MIB);
        try (FileDevice dev = FileDevice.open(file, false)) {
            byte[] data = Patterns.counting(MIB, 6);
            dev.write(0, ByteBuffer.wrap(data), false);
            dev.writeZeroes(4096, 200_000, false, true, false);
            java.util.Arrays.fill(data, 4096, 204_096, (byte) 0);
            assertArrayEquals(data, read(dev, 0, MIB));
            assertTrue(dev.capabilities().canFastZero());
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(tmpfsDir);
        }
    }

    /**
     * After a first query, data runs come from the device's memory of what SEEK_HOLE said; a trim or zeroes that
     * punch must still show as holes at once, and writes into a hole as data.
     */
    @Test
    void deallocationShowsInExtentsDespiteRememberedDataRuns() throws IOException {
        try (FileDevice dev = FileDevice.open(sparseFile(dir, MIB), false)) {
            dev.write(0, ByteBuffer.wrap(Patterns.counting(MIB, 3)), false);
            assertEquals(List.of(Extent.data(MIB)), dev.extents(0, MIB, 16));
            assertEquals(List.of(Extent.data(MIB - 4096)), dev.extents(4096, MIB - 4096, 16)); // remembered

            dev.trim(65536, 65536, false);
            assertEquals(List.of(Extent.data(65536), Extent.hole(65536), Extent.data(MIB - 131072)),
                    dev.extents(0, MIB, 16));

            dev.write(65536, ByteBuffer.wrap(Patterns.counting(65536, 4)), false);
            dev.writeZeroes(196608, 65536, true, false, false);
            assertEquals(List.of(Extent.data(196608), Extent.hole(65536), Extent.data(MIB - 262144)),
                    dev.extents(0, MIB, 16));
        }
    }
}
