package dev.nbdref.bochs;

import static dev.nbdref.bochs.TestImage.poke32;
import static dev.nbdref.bochs.TestImage.poke64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Each header rule on hand-made headers, including the pokes of qemu's iotest 078. */
class HeaderParserTest {
    private static final int CATALOG = HeaderLayout.CATALOG_OFFSET;
    private static final int BITMAP = HeaderLayout.BITMAP_OFFSET;
    private static final int EXTENT = HeaderLayout.EXTENT_OFFSET;
    private static final int DISK = HeaderLayout.DISK_V2_OFFSET;

    /** qemu's empty.bochs: 2 cylinders of 16 heads and 63 sectors, nothing allocated. */
    private static byte[] emptyBochs() {
        return TestImage.bximage(1032192).bytes();
    }

    private static ParsedHeader parse(byte[] bytes, ReadOptions options) throws BochsFormatException {
        byte[] head = Arrays.copyOf(bytes, Math.min(bytes.length, 512));
        return HeaderParser.parse(ByteBuffer.wrap(head), bytes.length, options);
    }

    private static void assertRule(BochsRule rule, byte[] bytes, ReadOptions options) {
        BochsFormatException e = assertThrows(BochsFormatException.class, () -> parse(bytes, options));
        assertEquals(rule, e.rule(), e.getMessage());
        assertEquals(rule.kind(), e.kind());
    }

    private static void assertRule(BochsRule rule, byte[] bytes) {
        assertRule(rule, bytes, ReadOptions.STRICT);
        assertRule(rule, bytes, ReadOptions.LENIENT);
    }

    @Test
    void emptyBochsHasBximageGeometry() throws BochsFormatException {
        byte[] bytes = emptyBochs();
        assertEquals(2560, bytes.length);
        BochsHeader h = parse(bytes, ReadOptions.STRICT).header();
        assertEquals(new Geometry(512, 1, 4096, 1032192), h.geometry());
        assertEquals(Version.V2, h.version());
        assertEquals(Subtype.GROWING, h.subtype());
        assertEquals(252, h.geometry().usedEntries());
    }

    @Test
    void qemuIotest078PokesFailWithQemusReasons() {
        assertRule(BochsRule.B09, poke32(emptyBochs(), CATALOG, 0xFFFFFFFFL));
        assertRule(BochsRule.B09, poke32(emptyBochs(), CATALOG, 0x40000000));
        assertRule(BochsRule.B14, poke64(emptyBochs(), DISK, 0x7F000000000FC000L));
        assertRule(BochsRule.B14, poke32(emptyBochs(), CATALOG, 0x10));
        assertRule(BochsRule.B12, poke32(emptyBochs(), EXTENT, 0x80000000L));
        assertRule(BochsRule.B10, poke32(emptyBochs(), EXTENT, 0));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, 511})
    void shortFilesAreTruncated(int length) {
        assertRule(BochsRule.B01, Arrays.copyOf(emptyBochs(), length));
    }

    @Test
    void signatureAndTypeCompareUpToTheTerminator() {
        byte[] noNul = emptyBochs();
        Arrays.fill(noNul, 22, 32, (byte) 'x');
        assertRule(BochsRule.B02, noNul);
        byte[] flipped = emptyBochs();
        flipped[3] ^= 0x20;
        assertRule(BochsRule.B02, flipped);
        byte[] type = emptyBochs();
        type[HeaderLayout.TYPE_OFFSET] = 'r';
        assertRule(BochsRule.B03, type);
    }

    @Test
    void subtypesAreRecognisedOrRejectedAsUnsupported() throws BochsFormatException {
        for (Subtype s : Subtype.values()) {
            TestImage image = TestImage.bximage(1032192);
            image.subtype = s;
            assertEquals(s, parse(image.bytes(), ReadOptions.STRICT).header().subtype());
        }
        byte[] sparse = emptyBochs();
        byte[] name = "Sparse\0\0\0\0\0\0\0\0\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, sparse, HeaderLayout.SUBTYPE_OFFSET, 16);
        assertRule(BochsRule.B04, sparse);
    }

    @Test
    void bytesAfterATerminatorMatterOnlyInStrictMode() throws BochsFormatException {
        for (int at : new int[] {25, 31, 40, 47, 57, 63}) {
            byte[] bytes = emptyBochs();
            bytes[at] = 'z';
            assertRule(BochsRule.B06, bytes, ReadOptions.STRICT);
            assertEquals(1032192, parse(bytes, ReadOptions.LENIENT).header().geometry().diskBytes());
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 0x00030000, 0x00000200, 0x00020001, 0xFFFFFFFFL})
    void unknownVersionsAreUnsupported(long version) {
        assertRule(BochsRule.B07, poke32(emptyBochs(), HeaderLayout.VERSION_OFFSET, version));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 511, 1024, 0xFFFFFFF0L})
    void headerSizeMustBe512(long size) {
        assertRule(BochsRule.B08, poke32(emptyBochs(), HeaderLayout.HEADER_SIZE_OFFSET, size));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 511, 1536, 4097, 0x1000000, 0xFFFFFFFFL})
    void extentMustBeAPowerOfTwoBetween512And8MiB(long extent) {
        BochsRule expected = extent < 512 ? BochsRule.B10 : Long.bitCount(extent) != 1 ? BochsRule.B11 : BochsRule.B12;
        assertRule(expected, poke32(emptyBochs(), EXTENT, extent));
    }

    @Test
    void diskSizesFrom2To63AreRejectedBeforeTheCoverageTest() {
        assertRule(BochsRule.B13, poke64(emptyBochs(), DISK, Long.MIN_VALUE));
        assertRule(BochsRule.B13, poke64(emptyBochs(), DISK, -1));
    }

    @Test
    void catalogMustCoverEveryWholeSector() throws BochsFormatException {
        // 512 entries of 4 KiB cover 2 MiB exactly; one more sector needs one more entry.
        assertEquals(2 << 20, parse(poke64(emptyBochs(), DISK, 2 << 20), ReadOptions.STRICT).header().geometry().diskBytes());
        assertRule(BochsRule.B14, poke64(emptyBochs(), DISK, (2 << 20) + 512));
        // A partial last sector does not count (qemu floors), so lenient mode accepts it.
        assertEquals((2 << 20) + 100, parse(poke64(emptyBochs(), DISK, (2 << 20) + 100), ReadOptions.LENIENT)
                .header().geometry().diskBytes());
    }

    @Test
    void bitmapMustFlagEverySectorAndStrictlyBeBochsSize() throws BochsFormatException {
        assertRule(BochsRule.B15, poke32(emptyBochs(), BITMAP, 0));
        byte[] wide = poke32(emptyBochs(), EXTENT, 8192); // needs 2 bitmap bytes, has 1
        assertRule(BochsRule.B15, wide);
        byte[] big = poke32(emptyBochs(), BITMAP, 600);
        assertRule(BochsRule.B16, big, ReadOptions.STRICT);
        ParsedHeader lenient = parse(big, ReadOptions.LENIENT);
        assertEquals(2, lenient.header().geometry().bitmapBlocks());
        assertTrue(lenient.notes().get(0).contains("B16"), lenient.notes().toString());
    }

    @Test
    void partialSectorDiskIsStrictlyInvalidAndLenientlyRoundedDown() throws BochsFormatException {
        byte[] bytes = poke64(emptyBochs(), DISK, 1032292);
        assertRule(BochsRule.B17, bytes, ReadOptions.STRICT);
        ParsedHeader lenient = parse(bytes, ReadOptions.LENIENT);
        assertEquals(1032192, lenient.header().geometry().virtualSize());
        assertTrue(lenient.notes().get(0).contains("B17"));
    }

    @Test
    void version1ReadsTheDiskAtOffset84UnlessTheHeuristicIsAsked() throws BochsFormatException {
        TestImage packed = TestImage.bximage(1032192);
        packed.version = Version.V1;
        packed.diskOffset = HeaderLayout.DISK_V1_OFFSET;
        assertEquals(1032192, parse(packed.bytes(), ReadOptions.STRICT).header().geometry().diskBytes());

        TestImage unpacked = TestImage.bximage(1032192);
        unpacked.version = Version.V1;
        unpacked.diskOffset = HeaderLayout.DISK_V2_OFFSET;
        assertRule(BochsRule.B14, unpacked.bytes());
        ParsedHeader guessed = parse(unpacked.bytes(), new ReadOptions(Mode.STRICT, true));
        assertEquals(1032192, guessed.header().geometry().diskBytes());
        assertEquals(HeaderLayout.DISK_V2_OFFSET, guessed.header().diskOffset());
        assertTrue(guessed.notes().get(0).contains("B24"));
        // The heuristic leaves a correct packed header alone.
        assertEquals(HeaderLayout.DISK_V1_OFFSET,
                parse(packed.bytes(), new ReadOptions(Mode.STRICT, true)).header().diskOffset());
    }

    @Test
    void encodeAndParseAgreeOnEveryBximageSize() throws BochsFormatException {
        for (long disk = 0; disk <= Geometry.MAX_DISK; disk = disk == 0 ? 512 : disk * 3) {
            long rounded = disk - disk % 512;
            BochsHeader h = BochsHeader.growing(Geometry.forDisk(rounded));
            byte[] bytes = Arrays.copyOf(h.encode(), 512 + 4 * (int) h.geometry().catalogEntries());
            assertEquals(h, parse(bytes, ReadOptions.STRICT).header(), "disk " + rounded);
        }
    }

    @Test
    void bximageSizingMatchesTheDocumentedTable() {
        assertEquals(new Geometry(512, 1, 4096, 0), Geometry.forDisk(0));
        assertEquals(new Geometry(1024, 4, 16384, 10321920), Geometry.forDisk(10321920));
        assertEquals(new Geometry(4096, 8, 32768, 104767488), Geometry.forDisk(104767488));
        assertEquals(new Geometry(8192, 32, 131072, 1073479680), Geometry.forDisk(1073479680));
        assertEquals(new Geometry(512, 2, 8192, 4L << 20), Geometry.forDisk(4L << 20));
        assertEquals(new Geometry(0x100000, 2048, 0x800000, 8658652520448L), Geometry.forDisk(8658652520448L));
        assertThrows(IllegalArgumentException.class, () -> Geometry.forDisk(Geometry.MAX_DISK + 1));
    }
}
