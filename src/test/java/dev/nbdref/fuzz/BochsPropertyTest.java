package dev.nbdref.fuzz;

import dev.nbdref.bochs.BochsCreator;
import dev.nbdref.bochs.BochsFormatException;
import dev.nbdref.bochs.BochsImage;
import dev.nbdref.bochs.BochsRule;
import dev.nbdref.bochs.Geometry;
import dev.nbdref.bochs.GrowingDevice;
import dev.nbdref.bochs.HeaderLayout;
import dev.nbdref.bochs.ReadOptions;
import dev.nbdref.model.ExportModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * Properties of the Bochs writer and reader over random geometries (disks of 1 to 16384 sectors, so catalogs,
 * bitmaps and extents of several sizes) and random contents: an image written by {@link BochsCreator} from a raw
 * file reads back as that file, byte for byte, in strict mode; random writes, zeroes and trims through a writable
 * {@link GrowingDevice} read back as a byte model predicts, also after closing and reopening strictly; and a valid
 * header with one field corrupted is rejected with the rule the corruption was made to break, in the modes that
 * rule applies to (a strict-only rule leaves lenient mode able to open the image). Fixed seeds.
 */
class BochsPropertyTest {
    private static final long SEED = 0xB0C45L;
    private static Path dir;

    @BeforeAll
    static void tempDir() throws IOException {
        Path shm = Path.of("/dev/shm");
        dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "nbdref-bochs-pbt")
                : Files.createTempDirectory("nbdref-bochs-pbt");
    }

    @AfterAll
    static void removeTempDir() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Disk sizes in sectors, biased to small ones and to the edges of extents. */
    private static Gen<Integer> sectors() {
        return Generate.oneOf(Generate.range(1, 64), Generate.range(1, 16384), Generate.pick(List.of(8, 9, 16, 17, 255, 256, 257, 4096)));
    }

    /** Random sparse contents: some sectors hold data, most are zero. */
    private static byte[] contents(int sectors, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] raw = new byte[sectors * 512];
        int filled = rng.nextInt(Math.min(sectors, 40) + 1);
        for (int i = 0; i < filled; i++) {
            int s = rng.nextInt(sectors);
            int from = s * 512 + rng.nextInt(512);
            int n = 1 + rng.nextInt(Math.min(2048, raw.length - from));
            for (int k = 0; k < n; k++) raw[from + k] = (byte) (rng.nextInt(255) + 1);
        }
        return raw;
    }

    @Test
    void imagesWrittenFromRawFilesReadBackIdentically() {
        qt().withFixedSeed(SEED).withExamples(60)
                .forAll(sectors(), Generate.longRange(0, Long.MAX_VALUE))
                .checkAssert((sectors, seed) -> {
                    byte[] raw = contents(sectors, seed);
                    Path rawFile = dir.resolve("raw-" + seed);
                    Path image = dir.resolve("img-" + seed);
                    try {
                        Files.write(rawFile, raw);
                        Geometry g = BochsCreator.create(image, raw.length, rawFile);
                        assertEquals(Geometry.forDisk(raw.length), g);
                        try (GrowingDevice d = GrowingDevice.open(image, true, ReadOptions.STRICT)) {
                            assertEquals(raw.length, d.size());
                            ByteBuffer back = ByteBuffer.allocate(raw.length);
                            d.read(0, back);
                            assertArrayEquals(raw, back.array(), "image of " + sectors + " sectors, geometry " + g);
                        }
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    } finally {
                        delete(rawFile, image);
                    }
                });
    }

    /** One change through the writable device. */
    record Change(int kind, int offset, int length, int seed) {
        @Override public String toString() {
            return (kind == 0 ? "WRITE" : kind == 1 ? "WRITE_ZEROES(no hole)" : kind == 2 ? "WRITE_ZEROES" : "TRIM")
                    + "(" + offset + "+" + length + ", seed " + seed + ")";
        }
    }

    @Test
    void writesThroughTheDeviceReadBackAsTheModelSays() {
        Gen<List<Change>> changes = lists().of(Generate.range(0, 3).zip(Generate.range(0, Integer.MAX_VALUE),
                Generate.range(1, 70_000), Generate.range(0, 1 << 20), Change::new)).ofSizeBetween(1, 25);
        qt().withFixedSeed(SEED).withExamples(60)
                .forAll(sectors(), changes)
                .checkAssert((sectors, list) -> {
                    int size = sectors * 512;
                    Path image = dir.resolve("rw-" + System.nanoTime());
                    ExportModel model = new ExportModel(size, 512);
                    try {
                        BochsCreator.create(image, size);
                        try (GrowingDevice d = GrowingDevice.open(image, false, ReadOptions.STRICT)) {
                            for (Change c : list) {
                                int offset = c.offset() % size;
                                int length = Math.min(c.length(), size - offset);
                                apply(d, model, c.kind(), offset, length, c.seed());
                                byte[] got = new byte[length];
                                d.read(offset, ByteBuffer.wrap(got));
                                model.checkRead(offset, got, "after " + c);
                            }
                            d.flush();
                        }
                        try (BochsImage strict = BochsImage.open(image, ReadOptions.STRICT);
                             GrowingDevice d = GrowingDevice.open(image, true, ReadOptions.STRICT)) {
                            assertEquals(size, strict.size());
                            byte[] all = new byte[size];
                            d.read(0, ByteBuffer.wrap(all));
                            model.checkRead(0, all, "reopened image");
                        }
                    } catch (BochsFormatException e) {
                        throw new AssertionError("our writer produced an image strict mode refuses: " + e.describe(), e);
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    } finally {
                        delete(image);
                    }
                });
    }

    private static void apply(GrowingDevice d, ExportModel model, int kind, int offset, int length, int seed)
            throws IOException {
        switch (kind) {
            case 0: {
                byte[] data = new byte[length];
                new SplittableRandom(seed).nextBytes(data);
                d.write(offset, ByteBuffer.wrap(data), seed % 5 == 0);
                model.write(offset, data);
                break;
            }
            case 1:
                d.writeZeroes(offset, length, false, false, false);
                model.zero(offset, length);
                break;
            case 2:
                d.writeZeroes(offset, length, true, false, false);
                model.zero(offset, length);
                break;
            default:
                d.trim(offset, length, false);
                model.trim(offset, length);
        }
    }

    // ---------------------------------------------------------------- single-field corruptions

    /** An image with one field corrupted (or cut short), and what was done. */
    record Corrupted(byte[] bytes, String what) {}

    private static final List<BochsRule> TARGETS = List.of(BochsRule.B01, BochsRule.B02, BochsRule.B03, BochsRule.B04,
            BochsRule.B06, BochsRule.B07, BochsRule.B08, BochsRule.B09, BochsRule.B10, BochsRule.B11, BochsRule.B12,
            BochsRule.B13, BochsRule.B14, BochsRule.B15, BochsRule.B16, BochsRule.B17, BochsRule.B18, BochsRule.B19,
            BochsRule.B20);

    @Test
    void singleFieldCorruptionsAreRejectedWithTheirRule() {
        Set<BochsRule> exercised = EnumSet.noneOf(BochsRule.class);
        qt().withFixedSeed(SEED).withExamples(400)
                .forAll(Generate.range(2, 4096), Generate.pick(TARGETS), Generate.longRange(0, Long.MAX_VALUE))
                .checkAssert((sectors, rule, seed) -> {
                    Path image = dir.resolve("bad-" + System.nanoTime());
                    Path rawFile = dir.resolve("badraw-" + System.nanoTime());
                    try {
                        byte[] raw = contents(sectors, seed);
                        raw[0] = 1; // at least one allocated extent, for the catalog rules
                        Files.write(rawFile, raw);
                        Geometry g = BochsCreator.create(image, (long) sectors * 512, rawFile);
                        Corrupted bad = corrupt(Files.readAllBytes(image), g, rule, new SplittableRandom(seed));
                        if (bad == null) return; // this geometry cannot express the corruption
                        Files.write(image, bad.bytes());
                        String what = bad.what();
                        exercised.add(rule);
                        for (ReadOptions mode : List.of(ReadOptions.STRICT, ReadOptions.LENIENT)) {
                            if (rule.rejectsIn(mode.mode())) {
                                BochsFormatException e = assertThrows(BochsFormatException.class,
                                        () -> BochsImage.open(image, mode).close(), what + " in " + mode.mode());
                                assertEquals(rule, e.rule(), what + " in " + mode.mode() + ": " + e.getMessage());
                                assertEquals(rule.kind(), e.kind());
                            } else {
                                try (BochsImage opened = BochsImage.open(image, mode)) {
                                    if (opened.notes().isEmpty() && rule != BochsRule.B06) {
                                        fail(what + " opened in " + mode.mode() + " mode without a note");
                                    }
                                } catch (BochsFormatException e) {
                                    fail(what + " must open in " + mode.mode() + " mode, but: " + e.describe());
                                }
                            }
                        }
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    } finally {
                        delete(image, rawFile);
                    }
                });
        assertEquals(Set.copyOf(TARGETS), exercised, "every rule was broken at least once");
    }

    /** Breaks {@code rule} in a valid image; null when this image cannot express that corruption. */
    static Corrupted corrupt(byte[] b, Geometry g, BochsRule rule, SplittableRandom rng) {
        String what = corruptInPlace(b, g, rule, rng);
        if (what == null) return null;
        if (what.startsWith("file cut to ")) {
            int n = Integer.parseInt(what.substring("file cut to ".length()).split(" ")[0]);
            return new Corrupted(Arrays.copyOf(b, n), what);
        }
        return new Corrupted(b, what);
    }

    private static String corruptInPlace(byte[] b, Geometry g, BochsRule rule, SplittableRandom rng) {
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long entries = g.catalogEntries();
        long extent = g.extentBytes();
        long disk = g.diskBytes();
        long sectorsPerExtent = extent / 512;
        switch (rule) {
            case B01: {
                return "file cut to " + rng.nextInt(512) + " bytes";
            }
            case B02: return changeByte(b, rng.nextInt(HeaderLayout.MAGIC.length() + 1), "signature");
            case B03: return changeByte(b, HeaderLayout.TYPE_OFFSET + rng.nextInt(HeaderLayout.TYPE.length() + 1), "type");
            case B04: return changeByte(b, HeaderLayout.SUBTYPE_OFFSET + rng.nextInt("Growing".length() + 1), "subtype");
            case B06: {
                int[][] pads = {{23, 32}, {40, 48}, {56, 64}};
                int[] p = pads[rng.nextInt(3)];
                int at = p[0] + rng.nextInt(p[1] - p[0]);
                b[at] = (byte) (1 + rng.nextInt(255));
                return "padding byte " + at + " set";
            }
            case B07: {
                int v;
                do { v = rng.nextInt(); } while (v == 0x10000 || v == 0x20000);
                le.putInt(HeaderLayout.VERSION_OFFSET, v);
                return "version " + Integer.toHexString(v);
            }
            case B08: {
                int v;
                do { v = rng.nextInt(); } while (v == 512);
                le.putInt(HeaderLayout.HEADER_SIZE_OFFSET, v);
                return "header size " + Integer.toUnsignedString(v);
            }
            case B09: {
                long v = HeaderLayout.MAX_CATALOG + 1 + rng.nextLong(0xffff_ffffL - HeaderLayout.MAX_CATALOG);
                le.putInt(HeaderLayout.CATALOG_OFFSET, (int) v);
                return "catalog " + v;
            }
            case B10: {
                int v = rng.nextInt(512);
                le.putInt(HeaderLayout.EXTENT_OFFSET, v);
                return "extent " + v;
            }
            case B11: {
                long v;
                do { v = 513 + rng.nextLong(0xffff_ffffL - 513); } while (Long.bitCount(v) == 1);
                le.putInt(HeaderLayout.EXTENT_OFFSET, (int) v);
                return "extent " + v;
            }
            case B12: {
                long v = 1L << (24 + rng.nextInt(8));
                le.putInt(HeaderLayout.EXTENT_OFFSET, (int) v);
                return "extent " + v;
            }
            case B13: {
                long v = Long.MIN_VALUE | rng.nextLong();
                le.putLong(HeaderLayout.DISK_V2_OFFSET, v);
                return "disk " + Long.toUnsignedString(v);
            }
            case B14: {
                long v = entries * extent + 512 * (1 + rng.nextInt(1 << 20));
                le.putLong(HeaderLayout.DISK_V2_OFFSET, v);
                return "disk " + v + " beyond " + entries + " entries of " + extent;
            }
            case B15: {
                long v = rng.nextBoolean() ? 0 : rng.nextLong(Math.max(1, (sectorsPerExtent + 7) / 8));
                if (v * 8 >= sectorsPerExtent && v != 0) return null;
                le.putInt(HeaderLayout.BITMAP_OFFSET, (int) v);
                return "bitmap " + v + " for " + sectorsPerExtent + " sectors";
            }
            case B16: {
                long v = extent / 4096 + 1 + rng.nextInt(1000);
                le.putInt(HeaderLayout.BITMAP_OFFSET, (int) v);
                return "bitmap " + v + " instead of " + extent / 4096;
            }
            case B17: {
                long v = disk - 1 - rng.nextInt(511);
                if (v <= 0) return null;
                le.putLong(HeaderLayout.DISK_V2_OFFSET, v);
                return "disk " + v + " not in whole sectors";
            }
            case B18: {
                long end = g.dataOffset();
                if (end <= 512) return null;
                return "file cut to " + (512 + rng.nextInt((int) (end - 512))) + " bytes, inside the catalog ending at " + end;
            }
            case B19: {
                long used = g.usedEntries();
                long whole = (b.length - g.dataOffset()) / g.strideBytes();
                int i = rng.nextInt((int) used);
                long p = whole + rng.nextInt(1000);
                le.putInt(HeaderLayout.SIZE + 4 * i, (int) p);
                return "catalog entry " + i + " -> extent " + p + " of " + whole;
            }
            case B20: {
                long used = g.usedEntries();
                if (used < 2) return null;
                int i = rng.nextInt((int) used);
                int j = (i + 1 + rng.nextInt((int) used - 1)) % (int) used;
                le.putInt(HeaderLayout.SIZE + 4 * i, 0);
                le.putInt(HeaderLayout.SIZE + 4 * j, 0);
                return "catalog entries " + i + " and " + j + " both -> extent 0";
            }
            default:
                throw new IllegalArgumentException(rule.toString());
        }
    }

    private static String changeByte(byte[] b, int at, String field) {
        byte old = b[at];
        byte v;
        SplittableRandom r = new SplittableRandom(at * 31L + old);
        do { v = (byte) r.nextInt(256); } while (v == old);
        b[at] = v;
        return field + " byte " + at + " changed from " + (old & 0xff) + " to " + (v & 0xff)
                + " (\"" + new String(b, at - at % 16, 16, StandardCharsets.ISO_8859_1).replaceAll("[^ -~]", ".") + "\")";
    }

    private static void delete(Path... paths) {
        for (Path p : paths) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // the directory goes at the end
            }
        }
    }
}
