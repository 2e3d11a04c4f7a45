package dev.nbdref.bochs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Property: take the header bximage would write for a random disk size (up to the 8 TiB limit), change one
 * field to a value drawn from one rule's triggers, and the parser rejects it under exactly that rule; the
 * untouched header is accepted in both modes.
 */
class HeaderCorruptionPropertyTest {
    private static final List<BochsRule> HEADER_RULES = List.of(BochsRule.B01, BochsRule.B02, BochsRule.B03,
            BochsRule.B04, BochsRule.B06, BochsRule.B07, BochsRule.B08, BochsRule.B09, BochsRule.B10, BochsRule.B11,
            BochsRule.B12, BochsRule.B13, BochsRule.B14, BochsRule.B15, BochsRule.B16, BochsRule.B17);

    @Test
    void untouchedHeadersAreAccepted() {
        qt().withFixedSeed(0xB0C45L).withExamples(500)
                .forAll(longs().between(0, Geometry.MAX_DISK / 512), booleans().all())
                .checkAssert((sectors, v1) -> {
                    Header h = new Header(sectors * 512, v1);
                    for (ReadOptions mode : List.of(ReadOptions.STRICT, ReadOptions.LENIENT)) {
                        ParsedHeader parsed = parseOrFail(h.bytes, h.fileSize, mode);
                        assertEquals(Geometry.forDisk(sectors * 512), parsed.header().geometry());
                    }
                });
    }

    @Test
    void everySingleFieldCorruptionIsRejectedByItsRule() {
        qt().withFixedSeed(0xC0FFEEL).withExamples(3000)
                .forAll(longs().between(0, Geometry.MAX_DISK / 512), booleans().all(),
                        arbitrary().pick(HEADER_RULES), longs().all())
                .checkAssert((sectors, v1, rule, seed) -> {
                    Header h = new Header(sectors * 512, v1);
                    if (!h.corrupt(rule, new SplittableRandom(seed))) return; // trigger impossible for this geometry
                    ReadOptions mode = rule.rejectsIn(Mode.LENIENT) ? (seed % 2 == 0 ? ReadOptions.LENIENT
                            : ReadOptions.STRICT) : ReadOptions.STRICT;
                    BochsFormatException e = assertThrows(BochsFormatException.class,
                            () -> HeaderParser.parse(ByteBuffer.wrap(h.head()), h.fileSize, mode),
                            () -> rule + " corruption accepted: " + h);
                    assertEquals(rule, e.rule(), () -> h + ": " + e.getMessage());
                });
    }

    private static ParsedHeader parseOrFail(byte[] bytes, long fileSize, ReadOptions options) {
        try {
            return HeaderParser.parse(ByteBuffer.wrap(bytes), fileSize, options);
        } catch (BochsFormatException e) {
            throw new AssertionError(e.describe(), e);
        }
    }

    /** A bximage header, the file size behind it, and one corruption. */
    private static final class Header {
        final byte[] bytes;
        final ByteBuffer fields;
        final Geometry g;
        final int diskOffset;
        long fileSize;
        String change = "none";

        Header(long disk, boolean v1) {
            g = Geometry.forDisk(disk);
            BochsHeader h = BochsHeader.growing(g);
            if (v1) h = new BochsHeader(Version.V1, Subtype.GROWING, 512, g, 0, HeaderLayout.DISK_V1_OFFSET);
            bytes = h.encode();
            fields = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            diskOffset = h.diskOffset();
            fileSize = g.dataOffset();
        }

        byte[] head() {
            return Arrays.copyOf(bytes, (int) Math.min(512, fileSize));
        }

        /** Applies a trigger of {@code rule}; false when this geometry admits none. */
        boolean corrupt(BochsRule rule, SplittableRandom rng) {
            long extent = g.extentBytes();
            switch (rule) {
                case B01: fileSize = rng.nextInt(512); change = "file size " + fileSize; return true;
                case B02: return flip(rng.nextInt(HeaderLayout.MAGIC.length() + 1), rng);
                case B03: return flip(HeaderLayout.TYPE_OFFSET + rng.nextInt(HeaderLayout.TYPE.length() + 1), rng);
                case B04: return flip(HeaderLayout.SUBTYPE_OFFSET + rng.nextInt("Growing".length() + 1), rng);
                case B06: {
                    int[][] pads = {{23, 32}, {40, 48}, {56, 64}};
                    int[] pad = pads[rng.nextInt(3)];
                    return flip(pad[0] + rng.nextInt(pad[1] - pad[0]), rng);
                }
                case B07: return set32(HeaderLayout.VERSION_OFFSET, pick(rng, v -> v != 0x10000 && v != 0x20000));
                case B08: return set32(HeaderLayout.HEADER_SIZE_OFFSET, pick(rng, v -> v != 512));
                case B09: return set32(HeaderLayout.CATALOG_OFFSET, 0x100001 + rng.nextLong(0xFFEFFFFFL));
                case B10: return set32(HeaderLayout.EXTENT_OFFSET, rng.nextInt(512));
                case B11: return set32(HeaderLayout.EXTENT_OFFSET, pick(rng, v -> v > 512 && Long.bitCount(v) > 1));
                case B12: return set32(HeaderLayout.EXTENT_OFFSET, 1L << (24 + rng.nextInt(8)));
                case B13: return set64(diskOffset, Long.MIN_VALUE | rng.nextLong(Long.MAX_VALUE));
                case B14: return uncoveredDisk(rng);
                case B15: {
                    long exact = extent / 4096;
                    return set32(HeaderLayout.BITMAP_OFFSET, exact == 1 ? 0 : rng.nextLong(exact));
                }
                case B16: return set32(HeaderLayout.BITMAP_OFFSET, extent / 4096 + 1 + rng.nextLong(0xFFFFFFFFL - extent / 4096));
                case B17: return set64(diskOffset, g.diskBytes() + 1 + rng.nextInt(511));
                default: throw new IllegalArgumentException(rule + " is not a header rule");
            }
        }

        private boolean uncoveredDisk(SplittableRandom rng) {
            long needed = g.usedEntries();
            if (rng.nextBoolean() && needed > 0) return set32(HeaderLayout.CATALOG_OFFSET, rng.nextLong(needed));
            long covered = g.catalogEntries() * g.extentBytes();
            return set64(diskOffset, covered + 512 + rng.nextLong(Long.MAX_VALUE - covered - 512));
        }

        private boolean flip(int at, SplittableRandom rng) {
            bytes[at] ^= (byte) (1 + rng.nextInt(255));
            change = "byte " + at + " flipped";
            return true;
        }

        private boolean set32(int at, long value) {
            fields.putInt(at, (int) value);
            change = "u32@" + at + " = " + value;
            return true;
        }

        private boolean set64(int at, long value) {
            fields.putLong(at, value);
            change = "u64@" + at + " = " + Long.toUnsignedString(value);
            return true;
        }

        private static long pick(SplittableRandom rng, java.util.function.LongPredicate ok) {
            while (true) {
                long v = rng.nextBoolean() ? rng.nextLong(0x100000000L) : rng.nextInt(0x40000);
                if (ok.test(v)) return v;
            }
        }

        @Override
        public String toString() {
            return g + ", " + change;
        }
    }
}
