package dev.nbdref.bochs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.block.Extent;
import dev.nbdref.block.LayeredDevice.DepthRun;
import dev.nbdref.block.ReadOnlyDeviceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An Undoable redolog over a flat base, as a layered device: content, allocation depth, read-only. */
class RedologDeviceTest {
    @TempDir
    Path dir;

    private RedologDevice open() throws IOException {
        TestImage image = new TestImage(new Geometry(8, 1, 4096, 32768));
        image.subtype = Subtype.UNDOABLE;
        image.allocate(1, 0xcc, 2, 3, 7);
        byte[] base = new byte[32768];
        Arrays.fill(base, (byte) 0xba);
        Files.write(dir.resolve("hd.img"), base);
        image.write(dir.resolve("hd.img.redolog"));
        return (RedologDevice) BochsDevices.open(dir.resolve("hd.img.redolog"), true);
    }

    @Test
    void readsTheRedologOverTheBase() throws IOException {
        try (RedologDevice dev = open()) {
            ByteBuffer all = ByteBuffer.allocate(32768);
            dev.read(0, all);
            byte[] want = new byte[32768];
            Arrays.fill(want, (byte) 0xba);
            Arrays.fill(want, 4096 + 1024, 4096 + 2048, (byte) 0xcc);
            Arrays.fill(want, 4096 + 3584, 8192, (byte) 0xcc);
            assertArrayEquals(want, all.array());
        }
    }

    @Test
    void allocationDepthIsOneInTheRedologAndTwoInTheBase() throws IOException {
        try (RedologDevice dev = open()) {
            assertEquals(List.of(new DepthRun(4096 + 1024, 2), new DepthRun(1024, 1), new DepthRun(1536, 2),
                    new DepthRun(512, 1), new DepthRun(24576, 2)), dev.allocationDepth(0, 32768, 100));
            assertEquals(List.of(new DepthRun(3072 + 1024, 2), new DepthRun(1024, 1)), dev.allocationDepth(1024, 8192, 2),
                    "stops at maxRuns");
            assertEquals(List.of(new DepthRun(100, 1)), dev.allocationDepth(4096 + 1100, 100, 5));
            assertEquals(List.of(Extent.data(32768)), dev.extents(0, 32768, 10), "the flat base is all data");
        }
    }

    @Test
    void isReadOnly() throws IOException {
        try (RedologDevice dev = open()) {
            assertTrue(dev.capabilities().readOnly());
            assertThrows(ReadOnlyDeviceException.class, () -> dev.write(0, ByteBuffer.allocate(512), false));
            assertThrows(ReadOnlyDeviceException.class, () -> dev.trim(0, 512, false));
            assertThrows(IllegalArgumentException.class, () -> dev.read(32768 - 1, ByteBuffer.allocate(2)));
        }
    }
}
