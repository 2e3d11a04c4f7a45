package dev.nbdref.bochs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.nbdref.block.Extent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzz-style property: valid images with random bytes overwritten (mostly in the header and catalog, where the
 * rules live), cut short or extended, either open and read completely in both modes or fail with a
 * {@link BochsFormatException}: never another exception, never a hang (every example is bounded in time).
 */
class RandomMutationPropertyTest {
    private static final long READ_LIMIT = 8L << 20;

    @TempDir
    Path dir;
    private int counter;

    @Test
    void mutatedImagesFailOnlyWithFormatErrors() {
        qt().withFixedSeed(0xF022L).withExamples(1000)
                .forAll(longs().all(), integers().between(1, 12))
                .checkAssert((seed, mutations) -> {
                    try {
                        check(seed, mutations);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    private void check(long seed, int mutations) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] bytes = mutate(validImage(rng), rng, mutations);
        Path file = Files.write(dir.resolve("m" + (counter++) + ".img"), bytes);
        long start = System.nanoTime();
        for (ReadOptions options : List.of(ReadOptions.STRICT, ReadOptions.LENIENT, new ReadOptions(Mode.LENIENT, true))) {
            try (GrowingDevice dev = GrowingDevice.open(file, true, options)) {
                exercise(dev);
            } catch (BochsFormatException expected) {
                assertTrue(expected.kind() != null && expected.getMessage() != null);
            } catch (IOException e) {
                // Only a redolog's missing base may surface as a plain I/O error, and it is B05 first.
                throw new AssertionError("unexpected " + e + " for seed " + seed, e);
            }
        }
        Files.delete(file);
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "seed " + seed + " took too long");
    }

    /** Reads the first and last 8 MiB and walks the allocation of the whole disk. */
    private static void exercise(GrowingDevice dev) throws IOException {
        long size = dev.size();
        int head = (int) Math.min(size, READ_LIMIT);
        dev.read(0, ByteBuffer.allocate(head));
        dev.read(size - head, ByteBuffer.allocate(head));
        if (size == 0) return;
        long covered = 0;
        for (Extent e : dev.extents(0, size, Integer.MAX_VALUE)) covered += e.length();
        assertEquals(size, covered);
    }

    /** A small bximage-shaped image with a few extents written. */
    private static byte[] validImage(SplittableRandom rng) {
        long disk = 512L * (1 + rng.nextInt(40_000));
        TestImage image = TestImage.bximage(disk);
        int used = (int) image.geometry.usedEntries();
        for (int i = 0; i < Math.min(used, 3); i++) {
            int index = rng.nextInt(used);
            if (image.catalog[index] != HeaderLayout.UNALLOCATED) continue;
            image.allocate(index, 1 + rng.nextInt(255), 0, (int) image.geometry.sectorsPerExtent() - 1);
        }
        return image.bytes();
    }

    private static byte[] mutate(byte[] bytes, SplittableRandom rng, int mutations) {
        byte[] out = bytes;
        for (int m = 0; m < mutations; m++) {
            switch (rng.nextInt(8)) {
                case 0: out = Arrays.copyOf(out, rng.nextInt(out.length + 1)); break;
                case 1: out = Arrays.copyOf(out, out.length + rng.nextInt(20_000)); break;
                case 2: case 3: case 4: poke(out, rng, Math.min(out.length, 96)); break;
                case 5: case 6: poke(out, rng, Math.min(out.length, 512 + 4096)); break;
                default: poke(out, rng, out.length);
            }
        }
        return out;
    }

    /** Overwrites 1 to 8 bytes somewhere in the first {@code within} bytes, often with an extreme value. */
    private static void poke(byte[] bytes, SplittableRandom rng, int within) {
        if (within == 0) return;
        int at = rng.nextInt(within);
        int n = Math.min(bytes.length - at, 1 + rng.nextInt(8));
        int style = rng.nextInt(3);
        for (int i = 0; i < n; i++) {
            bytes[at + i] = style == 0 ? (byte) 0xff : style == 1 ? 0 : (byte) rng.nextInt(256);
        }
    }
}
