package dev.nbdref.bitmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The store file byte for byte (spec/bitmap-format.md), and every kind of damage giving a clean typed error. */
class BitmapFileFormatTest {
    private static final long K64 = 65536;
    /** Four granules at 64 KiB, the last one short. */
    private static final long SIZE = 3 * K64 + 1;

    @Test
    void theLayoutIsTheDocumentedOne() throws IOException {
        byte[] file = encode(new StoreContents(true, SIZE, List.of(new StoredBitmap("b0", K64, true, new long[] {9}))));
        assertEquals("NBDREFBM", new String(BitmapFileFormat.MAGIC, StandardCharsets.US_ASCII));
        String header = "4e4244524546424d" + "00000001" + "00000001"
                + "0000000000030001" + "00000001";
        String entry = "0002" + "6230" + "00010000" + "00000001" + "0000000000000004" + "0000000000000009";
        String expected = header + crc(header) + entry + crc(entry);
        assertEquals(expected, HexFormat.of().formatHex(file));
    }

    @Test
    void roundTripsRandomBitmaps() throws IOException {
        SplittableRandom r = new SplittableRandom(42);
        long size = (1L << 30) + 12345;
        long[] words = new long[InMemoryBitmap.wordsFor(InMemoryBitmap.granulesFor(size, 4096))];
        for (int i = 0; i < words.length; i++) words[i] = r.nextLong();
        words[words.length - 1] &= (1L << (InMemoryBitmap.granulesFor(size, 4096) & 63)) - 1;
        StoreContents in = new StoreContents(false, size, List.of(new StoredBitmap("a", 4096, false, words),
                new StoredBitmap("z é", 64L << 20, true, new long[] {0b11111111111111111})));
        StoreContents out = decode(encode(in));
        assertEquals(false, out.inUse());
        assertEquals(size, out.imageSize());
        assertEquals(2, out.bitmaps().size());
        for (int i = 0; i < 2; i++) {
            StoredBitmap a = in.bitmaps().get(i);
            StoredBitmap b = out.bitmaps().get(i);
            assertEquals(List.of(a.name(), a.granularity(), a.enabled()), List.of(b.name(), b.granularity(), b.enabled()));
            assertArrayEquals(a.words(), b.words());
        }
        assertEquals(List.of(), decode(encode(new StoreContents(false, 0, List.of()))).bitmaps());
    }

    @Test
    void damageOfEveryKindIsACorruptStore() throws IOException {
        byte[] good = encode(new StoreContents(false, SIZE, List.of(new StoredBitmap("b0", K64, true, new long[] {9}))));
        int entry = BitmapFileFormat.HEADER_SIZE;
        int words = entry + 2 + 2 + 4 + 4 + 8;
        assertCorrupt(new byte[0], "truncated");
        assertCorrupt(Arrays.copyOf(good, 20), "truncated");
        assertCorrupt(Arrays.copyOf(good, good.length - 5), "bytes are left");
        assertCorrupt(Arrays.copyOf(good, good.length - 2), "truncated");
        assertCorrupt(edit(good, b -> b.put(0, (byte) 'X')), "magic");
        assertCorrupt(edit(good, b -> b.put(29, (byte) (b.get(29) ^ 4))), "header: checksum");
        assertCorrupt(header(good, b -> b.putInt(8, 2)), "version 2");
        assertCorrupt(header(good, b -> b.putInt(12, 0x80)), "flags");
        assertCorrupt(header(good, b -> b.putInt(24, 1000)), "bitmap count");
        assertCorrupt(header(good, b -> b.putLong(16, -5)), "negative image size");
        assertCorrupt(header(good, b -> b.putInt(24, 2)), "truncated");
        assertCorrupt(edit(good, b -> b.put(words + 7, (byte) 8)), "b0: checksum");
        assertCorrupt(entry(good, b -> b.put(words + 7, (byte) 0x19)), "past the last granule");
        assertCorrupt(entry(good, b -> b.putLong(entry + 12, 5)), "granules");
        assertCorrupt(entry(good, b -> b.putInt(entry + 4, 1000)), "granularity");
        assertCorrupt(entry(good, b -> b.putInt(entry + 8, 6)), "unknown flags");
        assertCorrupt(entry(good, b -> b.putShort(entry, (short) 0)), "name length 0");
        assertCorrupt(entry(good, b -> b.put(entry + 3, (byte) 0x0a)), "control character");
        assertCorrupt(entry(good, b -> b.put(entry + 3, (byte) 0xff)), "UTF-8");
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertCorrupt(trailing, "after the last bitmap");
    }

    /** Fields that would size an allocation are checked against the file first: no OutOfMemoryError. */
    @Test
    void hugeClaimsAreRefusedBeforeAllocating() throws IOException {
        byte[] good = encode(new StoreContents(false, SIZE, List.of(new StoredBitmap("b0", K64, true, new long[] {9}))));
        int entry = BitmapFileFormat.HEADER_SIZE;
        // a 1 TiB image: 16 Mi granules, 2 MiB of bits that the file does not have
        byte[] big = header(good, b -> b.putLong(16, 1L << 40));
        assertCorrupt(entry(big, b -> b.putLong(entry + 12, 16L << 20)), "bytes are left");
        // an image so large the granule count passes the limit
        byte[] huge = header(good, b -> b.putLong(16, Long.MAX_VALUE));
        assertCorrupt(entry(huge, b -> b.putLong(entry + 12, Long.MAX_VALUE / K64 + 1)), "at least");
    }

    @Test
    void duplicateNamesAreCorrupt() throws IOException {
        StoredBitmap b = new StoredBitmap("b0", K64, true, new long[] {1});
        assertCorrupt(encode(new StoreContents(false, SIZE, List.of(b, b))), "twice");
    }

    private static void assertCorrupt(byte[] file, String expected) {
        CorruptBitmapStoreException e = assertThrows(CorruptBitmapStoreException.class, () -> decode(file));
        assertTrue(e.getMessage().startsWith("test.nbdref-bitmaps: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected \"" + expected + "\" in: " + e.getMessage());
    }

    private static byte[] encode(StoreContents contents) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BitmapFileFormat.write(out, contents);
        return out.toByteArray();
    }

    private static StoreContents decode(byte[] file) throws IOException {
        return BitmapFileFormat.read(new ByteArrayInputStream(file), file.length, "test.nbdref-bitmaps");
    }

    private static byte[] edit(byte[] file, Consumer<ByteBuffer> change) {
        byte[] copy = file.clone();
        change.accept(ByteBuffer.wrap(copy));
        return copy;
    }

    /** An edit of the header with its checksum fixed, so the check after the checksum is the one that fails. */
    private static byte[] header(byte[] file, Consumer<ByteBuffer> change) {
        byte[] copy = edit(file, change);
        CRC32C crc = new CRC32C();
        crc.update(copy, 0, 28);
        ByteBuffer.wrap(copy).putInt(28, (int) crc.getValue());
        return copy;
    }

    /** An edit of the (only) entry with its checksum fixed. */
    private static byte[] entry(byte[] file, Consumer<ByteBuffer> change) {
        byte[] copy = edit(file, change);
        CRC32C crc = new CRC32C();
        crc.update(copy, 32, copy.length - 36);
        ByteBuffer.wrap(copy).putInt(copy.length - 4, (int) crc.getValue());
        return copy;
    }

    private static String crc(String hex) {
        CRC32C crc = new CRC32C();
        crc.update(HexFormat.of().parseHex(hex));
        return String.format("%08x", crc.getValue());
    }
}
