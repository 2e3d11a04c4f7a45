package dev.nbdref.interop;

import static dev.nbdref.interop.TestData.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.bochs.BochsDisk;
import dev.nbdref.bochs.Geometry;
import dev.nbdref.bochs.GrowingDevice;
import dev.nbdref.bochs.ReadOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * nbdref and the real bximage (Bochs 2.7) read and write each other's Growing images: bximage-made images
 * of 1 MiB to 256 MiB convert back to their source with nbdref; nbdref's import equals bximage's convert byte for
 * byte (but for the timestamp bximage stamps); images nbdref creates or writes through its device convert to
 * the same flat bytes with bximage and with qemu-img.
 */
class BochsBximageInteropTest {
    @TempDir
    Path dir;

    /** bximage prints a progress bar per sector; its output is dropped by running it through sh. */
    private static PeerResult bximage(Object... args) {
        StringBuilder line = new StringBuilder("exec bximage");
        for (Object a : args) line.append(' ').append(a);
        return PeerCommand.of("sh", "-c", line + " > /dev/null").run();
    }

    /** Seeded data with zero MiBs, so some extents stay unallocated. */
    private Path pattern(String name, long size, long seed) throws IOException {
        Path raw = dir.resolve(name);
        TestData.writePattern(raw, size, seed, mib -> mib % 5 == 2);
        return raw;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 10, 64, 256})
    void bximageConvertedImagesReadBackAsTheirSource(int mib) throws IOException {
        Peer.require("bximage");
        Path raw = pattern("src.raw", (long) mib * MIB + (mib == 10 ? 3 * 512 : 0), mib);
        Path image = dir.resolve("src.img");
        bximage("-func=convert", "-imgmode=growing", "-q", raw, image).assertSuccess();
        Path back = dir.resolve("back.raw");
        BochsFixturesInteropTest.jar("bochs", "convert", "--strict", image, back).assertSuccess();
        assertEquals(TestData.sha256(raw), TestData.sha256(back), mib + " MiB");
        try (BochsDisk disk = BochsDisk.open(image, ReadOptions.STRICT)) {
            assertEquals(Geometry.forDisk(Files.size(raw)), disk.image().geometry());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"10M", "256M"})
    void bximageCreatedImagesAreEmptyDisksOfTheirCylinderRoundedSize(String size) throws IOException {
        Peer.require("bximage");
        Path image = dir.resolve("new.img");
        bximage("-func=create", "-hd=" + size, "-imgmode=growing", "-q", image).assertSuccess();
        long cylinders = Long.parseLong(size.replace("M", "")) * MIB / (16 * 63 * 512);
        try (BochsDisk disk = BochsDisk.open(image, ReadOptions.STRICT)) {
            assertEquals(cylinders * 16 * 63 * 512, disk.size());
            assertEquals(Geometry.forDisk(disk.size()), disk.image().geometry());
            assertEquals(0, disk.image().allocatedExtents());
        }
        PeerResult info = BochsFixturesInteropTest.jar("bochs", "info", "--json", image).assertSuccess();
        assertTrue(info.stdout().contains("\"bximageGeometry\" : true"), info.stdout());
    }

    @Test
    void importFromRawEqualsBximageConvertButForTheTimestamp() throws IOException {
        Peer.require("bximage");
        Path raw = pattern("src.raw", 24L * MIB + 7 * 512, 7);
        Path theirs = dir.resolve("bximage.img");
        Path ours = dir.resolve("nbdref.img");
        bximage("-func=convert", "-imgmode=growing", "-q", raw, theirs).assertSuccess();
        BochsFixturesInteropTest.jar("bochs", "create", "--from", raw, ours).assertSuccess();
        byte[] a = Files.readAllBytes(theirs);
        byte[] b = Files.readAllBytes(ours);
        assertEquals(a.length, b.length, "same number of extents stored");
        Arrays.fill(a, 84, 88, (byte) 0); // bximage stamps the FAT time of the file
        assertArrayEquals(a, b);
    }

    @Test
    void imagesNbdrefCreatesReadTheSameInBximageAndQemu() throws IOException {
        Peer.require("bximage");
        Path raw = pattern("src.raw", 16L * MIB, 11);
        Path image = dir.resolve("ours.img");
        BochsFixturesInteropTest.jar("bochs", "create", "--from", raw, image).assertSuccess();
        assertReadAlike(image, raw);
    }

    @Test
    void imagesWrittenThroughTheDeviceReadTheSameInBximageAndQemu() throws IOException {
        Peer.require("bximage");
        Path image = dir.resolve("written.img");
        BochsFixturesInteropTest.jar("bochs", "create", "--size", "20M", image).assertSuccess();
        byte[] expected = new byte[20 * MIB];
        SplittableRandom random = new SplittableRandom(3);
        try (GrowingDevice dev = GrowingDevice.open(image, false, ReadOptions.STRICT)) {
            for (int i = 0; i < 300; i++) {
                int offset = random.nextInt(expected.length - 70_000);
                byte[] bytes = new byte[1 + random.nextInt(70_000)];
                random.nextBytes(bytes);
                if (i % 10 == 9) {
                    dev.trim(offset, bytes.length, false);
                    Arrays.fill(expected, offset, offset + bytes.length, (byte) 0);
                } else {
                    dev.write(offset, ByteBuffer.wrap(bytes), false);
                    System.arraycopy(bytes, 0, expected, offset, bytes.length);
                }
            }
            dev.flush();
        }
        assertReadAlike(image, Files.write(dir.resolve("expected.raw"), expected));
    }

    /** bximage's convert to flat and qemu-img's convert both give {@code raw}'s bytes. */
    private void assertReadAlike(Path image, Path raw) throws IOException {
        Path copy = Files.copy(image, dir.resolve("copy-for-bximage.img")); // bximage may touch what it opens
        Path flat = dir.resolve("bximage-flat.raw");
        bximage("-func=convert", "-imgmode=flat", "-q", copy, flat).assertSuccess();
        assertEquals(TestData.sha256(raw), TestData.sha256(flat), "bximage reads what nbdref wrote");
        Path qemu = dir.resolve("qemu.raw");
        PeerCommand.of("qemu-img", "convert", "-f", "bochs", "-O", "raw", image, qemu).run().assertSuccess();
        assertEquals(TestData.sha256(raw), TestData.sha256(qemu), "qemu-img reads what nbdref wrote");
    }
}
