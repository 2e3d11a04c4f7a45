package dev.nbdref.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The contract on a file device without native hole support, as on a platform or file system lacking it. */
class FileDeviceFallbackTest extends BlockDeviceContractTest {
    @TempDir Path dir;
    private final AtomicInteger files = new AtomicInteger();

    @Override BlockDevice create(long size) throws IOException {
        return FileDevice.openWithoutHoleSupport(sparseFile(size), false);
    }

    @Override BlockDevice createReadOnly(long size) throws IOException {
        return FileDevice.openWithoutHoleSupport(sparseFile(size), true);
    }

    @Override boolean reportsHoles() { return false; }

    @Override boolean trimZeroes() { return false; }

    @Override boolean fastZero() { return false; }

    private Path sparseFile(long size) throws IOException {
        Path file = dir.resolve("disk-" + files.incrementAndGet() + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    @Test
    void capabilitiesAdmitNoHoleSupport() throws IOException {
        DeviceCapabilities caps = device(MIB).capabilities();
        assertFalse(caps.canTrim());
        assertFalse(caps.canFastZero());
    }

    @ParameterizedTest(name = "mayTrim={0}")
    @ValueSource(booleans = {true, false})
    void fastOnlyZeroFailsAndLeavesDataUntouched(boolean mayTrim) throws IOException {
        BlockDevice dev = device(MIB);
        byte[] data = Patterns.counting(MIB, 8);
        dev.write(0, ByteBuffer.wrap(data), false);
        assertThrows(FastZeroUnsupportedException.class, () -> dev.writeZeroes(0, MIB, mayTrim, true, true));
        assertArrayEquals(data, read(dev, 0, MIB));
    }

    @Test
    void slowZeroingCrossesChunkBoundaries() throws IOException {
        int size = 3 * MIB + 777;
        BlockDevice dev = device(size);
        byte[] data = Patterns.counting(size, 12);
        dev.write(0, ByteBuffer.wrap(data), false);
        dev.writeZeroes(5, size - 10, true, false, false);
        Arrays.fill(data, 5, size - 5, (byte) 0);
        assertArrayEquals(data, read(dev, 0, size));
        assertEquals(List.of(Extent.data(size)), dev.extents(0, size, 8));
    }
}
