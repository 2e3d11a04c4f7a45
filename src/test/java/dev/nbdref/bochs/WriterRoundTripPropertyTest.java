package dev.nbdref.bochs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.nbdref.block.Extent;
import dev.nbdref.block.MemoryDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;

/**
 * Properties of the writer: whatever sequence of writes, zeroings and trims lands on an image of random
 * size (and so random bximage geometry), the image reads back exactly like a sparse in-memory disk given the
 * same operations; it stays strictly valid; holes are reported only where the model reads zeroes.
 * And an image created from a random raw file reads back as that file.
 */
class WriterRoundTripPropertyTest {
    private static final long MAX_FULL_COMPARE = 12L << 20;

    @TempDir
    Path dir;
    private final AtomicInteger counter = new AtomicInteger();

    /** One operation: where (a fraction of the disk), how long, what kind, and the seed of its bytes. */
    record Op(long where, int length, int kind, long seed) {
        @Override
        public String toString() {
            String[] kinds = {"write", "write", "trim", "zero-no-hole"};
            return kinds[kind] + "@" + where + "+" + length;
        }
    }

    private static Gen<Op> ops() {
        return longs().between(0, Long.MAX_VALUE).zip(integers().between(1, 70_000), integers().between(0, 3),
                longs().all(), Op::new);
    }

    /** Mostly small disks compared byte for byte; some up to 64 GiB, compared where they were touched. */
    private static Gen<Long> sectors() {
        return longs().between(1, MAX_FULL_COMPARE / 512).mix(longs().between(1, (64L << 30) / 512), 20);
    }

    @Test
    void writesReadBackLikeASparseModel() {
        qt().withFixedSeed(0x5EEDL).withExamples(50)
                .forAll(sectors(), lists().of(ops()).ofSizeBetween(1, 14))
                .checkAssert((sectors, ops) -> {
                    try {
                        check(sectors * 512, ops);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    private void check(long size, List<Op> ops) throws IOException {
        Path file = dir.resolve("p" + counter.incrementAndGet() + ".img");
        BochsCreator.create(file, size);
        MemoryDevice model = new MemoryDevice(size);
        try (GrowingDevice dev = GrowingDevice.open(file, false, ReadOptions.STRICT)) {
            for (Op op : ops) apply(op, size, dev, model);
            compare(size, ops, dev, model);
        }
        try (GrowingDevice reopened = GrowingDevice.open(file, true, ReadOptions.STRICT)) {
            compare(size, ops, reopened, model);
        } finally {
            Files.delete(file);
        }
    }

    private static void apply(Op op, long size, GrowingDevice dev, MemoryDevice model) throws IOException {
        long offset = Math.floorMod(op.where(), size);
        int length = (int) Math.min(op.length(), size - offset);
        switch (op.kind()) {
            case 0:
            case 1:
                byte[] bytes = new byte[length];
                new SplittableRandom(op.seed()).nextBytes(bytes);
                dev.write(offset, ByteBuffer.wrap(bytes), false);
                model.write(offset, ByteBuffer.wrap(bytes), false);
                break;
            case 2:
                dev.trim(offset, length, false);
                model.writeZeroes(offset, length, true, false, false);
                break;
            default:
                dev.writeZeroes(offset, length, false, false, true);
                model.writeZeroes(offset, length, false, false, false);
        }
    }

    private static void compare(long size, List<Op> ops, GrowingDevice dev, MemoryDevice model) throws IOException {
        if (size <= MAX_FULL_COMPARE) {
            assertArrayEquals(read(model, 0, (int) size), read(dev, 0, (int) size), "whole disk after " + ops);
        } else {
            for (Op op : ops) {
                long from = Math.max(0, Math.floorMod(op.where(), size) - 70_000);
                int length = (int) Math.min(size - from, 210_000);
                assertArrayEquals(read(model, from, length), read(dev, from, length), "around " + op + " of " + ops);
            }
        }
        long pos = 0;
        for (Extent e : dev.extents(0, size, Integer.MAX_VALUE)) {
            if (e.hole() && e.length() <= (1 << 24)) {
                assertArrayEquals(new byte[(int) e.length()], read(model, pos, (int) e.length()),
                        "hole at " + pos + " after " + ops);
            }
            pos += e.length();
        }
        assertEquals(size, pos, "extents cover the disk");
    }

    private static byte[] read(dev.nbdref.block.BlockDevice dev, long offset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        dev.read(offset, buf);
        return buf.array();
    }

    @Test
    void imagesCreatedFromRawFilesReadBackAsTheFile() {
        qt().withFixedSeed(0xFACEL).withExamples(30)
                .forAll(longs().between(0, (6L << 20) / 512), longs().all(), integers().between(0, 4))
                .checkAssert((sectors, seed, density) -> {
                    try {
                        checkImport(sectors * 512, seed, density);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    /** A raw file whose 512-byte sectors are random or zero (density in fifths), imported and read back. */
    private void checkImport(long size, long seed, int density) throws IOException {
        byte[] raw = new byte[(int) size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int s = 0; s < size / 512; s++) {
            if (random.nextInt(4) < density) {
                for (int i = 0; i < 512; i++) raw[s * 512 + i] = (byte) (1 + random.nextInt(255));
            }
        }
        int n = counter.incrementAndGet();
        Path rawFile = Files.write(dir.resolve("r" + n + ".raw"), raw);
        Path image = dir.resolve("r" + n + ".img");
        BochsCreator.create(image, size, rawFile);
        try (BochsDisk disk = BochsDisk.open(image, ReadOptions.STRICT)) {
            ByteBuffer all = ByteBuffer.allocate((int) size);
            disk.read(0, all);
            assertArrayEquals(raw, all.array());
            long stored = Files.size(image) - disk.image().geometry().dataOffset();
            assertTrue(stored == disk.image().allocatedExtents() * disk.image().geometry().strideBytes(),
                    "only extents with data are stored");
            Path back = dir.resolve("r" + n + ".back");
            RawExporter.export(disk, back);
            assertArrayEquals(raw, Files.readAllBytes(back));
        } finally {
            Files.delete(image);
            Files.delete(rawFile);
            Files.deleteIfExists(dir.resolve("r" + n + ".back"));
        }
    }
}
