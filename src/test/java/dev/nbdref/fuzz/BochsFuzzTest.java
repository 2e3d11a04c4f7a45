package dev.nbdref.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.Extent;
import dev.nbdref.block.LayeredDevice;
import dev.nbdref.bochs.BochsFormatException;
import dev.nbdref.bochs.BochsImage;
import dev.nbdref.bochs.GrowingDevice;
import dev.nbdref.bochs.ReadOptions;
import dev.nbdref.bochs.RedologDevice;
import dev.nbdref.bochs.Subtype;
import org.junit.jupiter.api.AfterAll;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Bochs header and catalog parser fed raw files: every input either opens, or is refused with a
 * {@link BochsFormatException} whose rule is one the mode enforces (a strict-only rule never fires in lenient
 * mode), or with a plain IOException for what is not a format matter (a redolog without its base). Whatever
 * strict mode opens, lenient mode opens too, with the same size. An image that opens is read (at both ends, and
 * its extents; a redolog over a sparse base of the size it claims, with its allocation depth), and one strict
 * mode accepts is written through {@link GrowingDevice}, after which it must still pass strict validation and
 * read back what was written. Only what the file's size justifies may be allocated (the parser checks sizes
 * before allocating, B26): the campaign's small heap turns a violation into an OutOfMemoryError.
 */
class BochsFuzzTest {
    private static Path dir;

    private static synchronized Path dir() throws IOException {
        if (dir == null) {
            Path shm = Path.of("/dev/shm");
            dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "nbdref-bochs-fuzz")
                    : Files.createTempDirectory("nbdref-bochs-fuzz");
        }
        return dir;
    }

    @AfterAll
    static void clean() throws IOException {
        if (dir == null) return;
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
        dir = null;
    }

    @FuzzTest(maxDuration = "60s")
    void image(byte[] input) throws Throwable {
        TimeBound.run(() -> parse(input));
    }

    private static void parse(byte[] input) throws IOException {
        Path file = dir().resolve("image.bochs");
        Files.write(file, input);
        Long strictSize = open(file, ReadOptions.STRICT);
        Long lenientSize = open(file, ReadOptions.LENIENT);
        if (strictSize != null) {
            assertEquals(strictSize, lenientSize, "lenient mode must open whatever strict mode opens, with the same size");
            writeThrough(file);
        }
    }

    /** Opens and reads the image; its size, or null when it was refused. */
    private static Long open(Path file, ReadOptions options) throws IOException {
        Subtype subtype;
        long disk;
        long size;
        try (BochsImage image = BochsImage.open(file, options)) {
            subtype = image.header().subtype();
            disk = image.geometry().diskBytes();
            size = image.size();
            assertTrue(size >= 0 && size <= disk && disk - size < 512, "size " + size + " for a disk of " + disk);
            assertNotNull(image.notes());
        } catch (BochsFormatException e) {
            assertNotNull(e.rule().kind(), "a policy rule " + e.rule() + " cannot reject");
            assertTrue(e.rule().rejectsIn(options.mode()),
                    e.rule() + " rejected in " + options.mode() + " mode: " + e.getMessage());
            return null;
        }
        if (subtype == Subtype.GROWING) {
            try (BlockDevice device = GrowingDevice.open(file, true, options)) {
                exercise(device);
            }
        } else if (disk <= 1L << 40) {
            Path base = file.resolveSibling("base.raw");
            try (RandomAccessFile f = new RandomAccessFile(base.toFile(), "rw")) {
                f.setLength(disk);
            }
            try (RedologDevice device = RedologDevice.open(file, base, options)) {
                exercise(device);
                List<LayeredDevice.DepthRun> depth = device.size() == 0 ? List.of()
                        : device.allocationDepth(0, device.size(), 64);
                assertTrue(device.size() == 0 || !depth.isEmpty(), "allocation depth of a non-empty disk");
            } catch (BochsFormatException e) {
                assertTrue(e.rule().rejectsIn(options.mode()), e.rule() + " in " + options.mode() + ": " + e.getMessage());
            } finally {
                Files.deleteIfExists(base);
            }
        }
        return size;
    }

    private static void exercise(BlockDevice device) throws IOException {
        long size = device.size();
        if (size == 0) return;
        int n = (int) Math.min(size, 64 * 1024);
        ByteBuffer head = ByteBuffer.allocate(n);
        device.read(0, head);
        ByteBuffer tail = ByteBuffer.allocate(n);
        device.read(size - n, tail);
        List<Extent> extents = device.extents(0, size, 64);
        assertTrue(!extents.isEmpty() && extents.size() <= 64, "extents: " + extents.size());
        long covered = 0;
        for (Extent x : extents) {
            assertTrue(x.length() > 0, "empty extent");
            covered += x.length();
        }
        assertTrue(covered <= size, "extents run past the end");
    }

    /** A strictly valid Growing image stays strictly valid through our writer and reads back what was written. */
    private static void writeThrough(Path file) throws IOException {
        byte[] original = Files.readAllBytes(file);
        if (original.length > 8 << 20) return;
        Path copy = file.resolveSibling("written.bochs");
        Files.write(copy, original);
        try {
            long size;
            byte[] data;
            long at;
            try (GrowingDevice device = GrowingDevice.open(copy, false, ReadOptions.STRICT)) {
                size = device.size();
                if (size == 0) return;
                data = new byte[(int) Math.min(size, 3000)];
                Arrays.fill(data, (byte) 0x5a);
                at = (size - data.length) / 2;
                device.write(at, ByteBuffer.wrap(data), false);
                device.trim(0, Math.min(size, 512), false);
                device.flush();
            } catch (IOException e) {
                if (e instanceof BochsFormatException) throw e;
                return; // e.g. a Redolog subtype: not writable, and says so
            }
            try (BochsImage reopened = BochsImage.open(copy, ReadOptions.STRICT);
                 GrowingDevice device = GrowingDevice.open(copy, true, ReadOptions.STRICT)) {
                assertEquals(size, reopened.size());
                ByteBuffer back = ByteBuffer.allocate(data.length);
                device.read(at, back);
                byte[] expected = data.clone();
                if (at < 512) Arrays.fill(expected, 0, (int) Math.min(512 - at, expected.length), (byte) 0);
                byte[] got = back.array();
                for (int i = 0; i < got.length; i++) {
                    if (at + i < Math.min(size, 512)) continue; // trimmed: zero or the data, either is allowed
                    if (got[i] != expected[i]) fail("byte " + (at + i) + " reads " + got[i] + " after writing 0x5a");
                }
            } catch (BochsFormatException e) {
                fail("our writer left a strictly valid image invalid: " + e.describe());
            }
        } finally {
            Files.deleteIfExists(copy);
        }
    }
}
