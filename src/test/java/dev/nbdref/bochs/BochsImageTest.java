package dev.nbdref.bochs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog rules (B18 to B21), read semantics (B22, B23) and redologs over a base (B05, B25). */
class BochsImageTest {
    @TempDir
    Path dir;

    /** 64 KiB disk, 16 KiB extents (bitmap 4 bytes): extents 0 and 2 allocated with a few sectors. */
    private TestImage sample() {
        TestImage image = new TestImage(new Geometry(8, 4, 16384, 65536));
        image.allocate(2, 0x22, 0, 1, 31);
        image.allocate(0, 0x11, 5, 6, 7);
        return image;
    }

    private byte[] expectedSample() {
        byte[] disk = new byte[65536];
        Arrays.fill(disk, 5 * 512, 8 * 512, (byte) 0x11);
        Arrays.fill(disk, 32768, 32768 + 1024, (byte) 0x22);
        Arrays.fill(disk, 32768 + 31 * 512, 32768 + 32 * 512, (byte) 0x22);
        return disk;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static byte[] readAll(BochsDisk disk) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) disk.size());
        disk.read(0, all);
        return all.array();
    }

    private static void assertRule(BochsRule rule, Path image, ReadOptions options) {
        BochsFormatException e = assertThrows(BochsFormatException.class, () -> BochsDisk.open(image, options).close());
        assertEquals(rule, e.rule(), e.getMessage());
    }

    @Test
    void readsSetBitsAndZeroesElsewhere() throws IOException {
        try (BochsDisk disk = BochsDisk.open(sample().write(dir.resolve("a.img")), ReadOptions.STRICT)) {
            assertArrayEquals(expectedSample(), readAll(disk));
            ByteBuffer middle = ByteBuffer.allocate(700);
            disk.read(5 * 512 - 100, middle); // unaligned, across a state change
            byte[] want = Arrays.copyOfRange(expectedSample(), 5 * 512 - 100, 5 * 512 + 600);
            assertArrayEquals(want, middle.array());
            assertEquals(2, disk.image().allocatedExtents());
        }
    }

    @Test
    void readsOutsideTheDiskAreOutOfRange() throws IOException {
        try (BochsDisk disk = BochsDisk.open(sample().write(dir.resolve("a.img")), ReadOptions.STRICT)) {
            BochsFormatException e = assertThrows(BochsFormatException.class,
                    () -> disk.read(65536 - 10, ByteBuffer.allocate(11)));
            assertEquals(BochsRule.B22, e.rule());
            assertEquals(BochsErrorKind.OUT_OF_RANGE, e.kind());
            assertThrows(BochsFormatException.class, () -> disk.read(-1, ByteBuffer.allocate(1)));
        }
    }

    @Test
    void catalogCutShortIsTruncatedInBothModes() throws IOException {
        Path cut = write("cut.img", Arrays.copyOf(sample().bytes(), 512 + 4 * 8 - 1));
        assertRule(BochsRule.B18, cut, ReadOptions.STRICT);
        assertRule(BochsRule.B18, cut, ReadOptions.LENIENT);
    }

    @Test
    void entryPastTheFileIsCorruptStrictlyAndZeroesLeniently() throws IOException {
        for (long entry : new long[] {2, 3, 0xFFFFFFFEL}) {
            TestImage image = sample();
            image.catalog[1] = entry;
            Path file = image.write(dir.resolve("dangling.img"));
            assertRule(BochsRule.B19, file, ReadOptions.STRICT);
            try (BochsDisk disk = BochsDisk.open(file, ReadOptions.LENIENT)) {
                assertArrayEquals(expectedSample(), readAll(disk));
                assertTrue(disk.image().notes().get(0).contains("B19"));
            }
        }
    }

    @Test
    void fileCutInsideAnExtentReadsWhatIsLeftLeniently() throws IOException {
        byte[] whole = sample().bytes();
        // Physical extent 1 (virtual extent 0) holds sectors 5..7; cut in the middle of sector 6's data.
        long extent1 = 512 + 4 * 8 + 16896;
        int cutAt = (int) (extent1 + 512 + 6 * 512 + 200);
        Path file = write("cut.img", Arrays.copyOf(whole, cutAt));
        assertRule(BochsRule.B19, file, ReadOptions.STRICT);
        byte[] want = expectedSample();
        Arrays.fill(want, 6 * 512 + 200, 8 * 512, (byte) 0);
        try (BochsDisk disk = BochsDisk.open(file, ReadOptions.LENIENT)) {
            assertArrayEquals(want, readAll(disk));
        }
    }

    @Test
    void aliasedEntriesAreCorruptStrictlyAndShareDataLeniently() throws IOException {
        TestImage image = sample();
        image.catalog[3] = image.catalog[0];
        Path file = image.write(dir.resolve("alias.img"));
        assertRule(BochsRule.B20, file, ReadOptions.STRICT);
        byte[] want = expectedSample();
        System.arraycopy(want, 0, want, 3 * 16384, 16384);
        try (BochsDisk disk = BochsDisk.open(file, ReadOptions.LENIENT)) {
            assertArrayEquals(want, readAll(disk));
        }
    }

    @Test
    void entriesPastTheDiskAreNeverConsulted() throws IOException {
        TestImage image = sample();
        image.catalog[4] = 0xFFFFFFFEL;
        image.catalog[5] = image.catalog[0];
        image.catalog[7] = 12345;
        try (BochsDisk disk = BochsDisk.open(image.write(dir.resolve("spare.img")), ReadOptions.STRICT)) {
            assertArrayEquals(expectedSample(), readAll(disk));
        }
    }

    @Test
    void bytesThatCarryNoContentAreIgnored() throws IOException {
        TestImage image = new TestImage(new Geometry(8, 4, 16384, 65536 - 4 * 512));
        image.allocate(0, 0x11, 5, 6, 7);
        image.allocate(3, 0x33, 0, 27, 28, 29, 30, 31); // 28..31 lie past the disk end
        byte[] bytes = image.bytes();
        Arrays.fill(bytes, 96, 512, (byte) 0x5a); // header padding
        TestImage.poke32(bytes, HeaderLayout.TIMESTAMP_OFFSET, 0x5d796e3c);
        int extent0 = 512 + 32;
        Arrays.fill(bytes, extent0 + 4, extent0 + 512, (byte) 0xff); // bitmap padding
        Arrays.fill(bytes, extent0 + 512, extent0 + 512 + 5 * 512, (byte) 0x77); // data under clear bits
        byte[] trailing = Arrays.copyOf(bytes, bytes.length + 16896 + 300);
        Arrays.fill(trailing, bytes.length, trailing.length, (byte) 0x66); // an orphan extent and a tail
        byte[] want = new byte[65536 - 2048];
        Arrays.fill(want, 5 * 512, 8 * 512, (byte) 0x11);
        Arrays.fill(want, 3 * 16384, 3 * 16384 + 512, (byte) 0x33);
        Arrays.fill(want, 3 * 16384 + 27 * 512, 3 * 16384 + 28 * 512, (byte) 0x33);
        try (BochsDisk disk = BochsDisk.open(write("noise.img", trailing), ReadOptions.STRICT)) {
            assertArrayEquals(want, readAll(disk));
        }
    }

    @Test
    void redologsNeedTheirBase() throws IOException {
        TestImage image = sample();
        image.subtype = Subtype.UNDOABLE;
        Path alone = image.write(dir.resolve("alone.img"));
        assertRule(BochsRule.B05, alone, ReadOptions.LENIENT);
        BochsFormatException e = assertThrows(BochsFormatException.class, () -> BochsDisk.open(alone, ReadOptions.STRICT));
        assertEquals(BochsErrorKind.UNSUPPORTED_SUBTYPE, e.kind());

        byte[] base = new byte[65536];
        Arrays.fill(base, (byte) 0x42);
        Files.write(dir.resolve("disk.raw"), base);
        Path redolog = image.write(dir.resolve("disk.raw.redolog"));
        byte[] want = expectedSample();
        for (int i = 0; i < want.length; i++) {
            boolean present = (i >= 5 * 512 && i < 8 * 512) || (i >= 32768 && i < 32768 + 1024)
                    || (i >= 32768 + 31 * 512 && i < 32768 + 32 * 512);
            if (!present) want[i] = 0x42;
        }
        try (BochsDisk disk = BochsDisk.open(redolog, ReadOptions.STRICT)) {
            assertEquals(dir.resolve("disk.raw"), disk.basePath());
            assertArrayEquals(want, readAll(disk));
        }
        try (BochsDisk disk = BochsDisk.open(alone, dir.resolve("disk.raw"), ReadOptions.STRICT)) {
            assertArrayEquals(want, readAll(disk));
        }
    }

    @Test
    void volatileRedologsFindTheirBaseByMkstempSuffix() throws IOException {
        TestImage image = sample();
        image.subtype = Subtype.VOLATILE;
        Files.write(dir.resolve("vm.img"), new byte[65536]);
        try (BochsDisk disk = BochsDisk.open(image.write(dir.resolve("vm.img.a1B2c3")), ReadOptions.STRICT)) {
            assertEquals(dir.resolve("vm.img"), disk.basePath());
            assertArrayEquals(expectedSample(), readAll(disk));
        }
    }

    @Test
    void redologAndBaseMustAgreeOnTheSize() throws IOException {
        TestImage image = sample();
        image.subtype = Subtype.UNDOABLE;
        Files.write(dir.resolve("small.raw"), new byte[65536 - 512]);
        Path redolog = image.write(dir.resolve("small.raw.redolog"));
        assertRule(BochsRule.B25, redolog, ReadOptions.LENIENT);
    }

    @Test
    void notABochsFileAtAll() throws IOException {
        Path text = write("text.img", "hello, this is not a disk image\n".repeat(40).getBytes());
        assertRule(BochsRule.B02, text, ReadOptions.LENIENT);
    }
}
